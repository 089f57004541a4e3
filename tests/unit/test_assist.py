"""Offline scorers of seed 004's AI procedures (tools/assist), in English and Polish, and the model path's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.ai_features import TipTapError, description_text
from tools.assist.assignee import ResolvedNeighbour, load_roster, suggest_assignee
from tools.assist.prediction import predict_priority
from tools.assist.sentiment import analyze_sentiment
from tools.assist.summary import extractive_summary
from tools.assist.tags import suggest_tags
from tools.priority import PriorityMatrix

ROSTER = Path(__file__).resolve().parents[2] / "data" / "assist" / "agents.yaml"


@pytest.mark.parametrize(
    ("text", "sentiment", "emotion", "urgency"),
    [
        ("I have been waiting for a response for 3 days now. This is unacceptable!", "negative", "anger", "high"),
        ("Thank you so much, the VPN works now. Great support!", "positive", "satisfaction", "medium"),
        ("Please send me the invoice for order 1234.", "neutral", None, "medium"),
        ("I am not happy with how this was handled.", "negative", None, "medium"),
        ("Czekam od tygodnia na odpowiedź, to skandal! Nadal nie działa.", "negative", "frustration", "high"),
        ("Dziękuję bardzo, wszystko już działa, świetna robota.", "positive", "satisfaction", "medium"),
        ("Proszę o zmianę adresu dostawy na ul. Polną 5.", "neutral", None, "medium"),
        ("Serwer produkcyjny nie działa, wszyscy klienci są odcięci, natychmiast!", "negative", None, "critical"),
    ],
)
def test_sentiment_in_both_languages(text: str, sentiment: str, emotion: str | None, urgency: str) -> None:
    result = analyze_sentiment(text)
    assert result.sentiment == sentiment, result
    assert -1 <= result.score <= 1 and result.urgency == urgency, result
    if emotion:
        assert emotion in result.emotions, result
    if sentiment == "neutral":
        assert -0.3 < result.score < 0.3 and result.emotions == []


def test_sentiment_labels_follow_the_seed_score_ranges() -> None:
    for text in ("ok", "great", "great great excellent", "bad", "terrible, awful, the worst", "nie działa", "super"):
        result = analyze_sentiment(text)
        expected = "positive" if result.score >= 0.3 else "negative" if result.score <= -0.3 else "neutral"
        assert result.sentiment == expected, result


def test_extractive_summary_keeps_the_ticket_words_in_order() -> None:
    summary = extractive_summary(
        "Cannot login after password reset",
        "Hello, since yesterday I cannot log in to the portal after the password reset. I cleared the browser cache but the login "
        "still fails. My cat likes the new office plants a lot. The issue started after the system update on January 10th.",
    )
    assert summary.startswith("Cannot login after password reset.") and "Hello" not in summary
    assert summary.index("Since yesterday") < summary.index("The issue started")  # original order
    assert "cat likes" not in summary and len(summary) <= 600


def test_extractive_summary_polish_with_resolution() -> None:
    summary = extractive_summary(
        "ORA-12541 przy połączeniu",
        "Dzień dobry, przy próbie połączenia z bazą ORCLPROD dostaję błąd ORA-12541. Koledzy z działu mają ten sam problem od rana.",
        ["Listener zatrzymał się z powodu pełnego dysku; DBA go uruchomił."],
    )
    assert "Dzień dobry" not in summary and "ORA-12541" in summary and summary.endswith("DBA go uruchomił.")


def test_priority_maps_the_matrix_to_seed_levels() -> None:
    matrix = PriorityMatrix()
    outage = predict_priority(matrix, "URGENT: Production server down", "Our main production server is completely down. All customers are affected.")
    assert outage.priority == "urgent" and outage.level == "P1" and outage.confidence >= 0.8 and "'all customers'" in outage.reasoning
    question = predict_priority(matrix, "Question", "How do I download an invoice? No rush.")
    assert question.priority == "low" and question.confidence > 0.5
    plain = predict_priority(matrix, "Printer", "The printer prints pale pages.")
    assert plain.priority == "normal" and plain.confidence == 0.5 and "standard level" in plain.reasoning
    polish = predict_priority(matrix, "Awaria", "Produkcja nie działa, pilne!")
    assert polish.priority in ("urgent", "high")


def test_tags_from_vocabulary_classifier_and_software() -> None:
    assert set(suggest_tags("Cannot login to mobile app. Getting authentication error on iOS app version 2.3.1")) >= {"mobile", "ios", "authentication", "login"}
    polish = suggest_tags("Nie mogę się zalogować, hasło wygasło", subcategory="Password Reset", classifier_confidence=0.8, software=["Azure AD"])
    assert {"login", "password", "password-reset", "azure-ad"} <= set(polish)
    unsure = suggest_tags("xyz", subcategory="Password Reset", classifier_confidence=0.2)
    assert unsure == []
    assert len(suggest_tags("vpn email printer database invoice refund laptop api webhook shipping")) == 6


def test_assignee_by_skill_team_and_history() -> None:
    roster = load_roster(ROSTER)
    history = [ResolvedNeighbour("TKT-H-0001", "m.kowalski", 0.8), ResolvedNeighbour("TKT-H-0009", "r.viewer", 0.9)]
    best = suggest_assignee(roster, tags=["database"], team="Technical Support", neighbours=history)
    assert best is not None and best.agent_id == "m.kowalski" and "TKT-H-0001" in best.reasoning
    viewer_only = suggest_assignee(roster, tags=[], team=None, neighbours=[ResolvedNeighbour("T-1", "r.viewer", 0.99)] * 3)
    assert viewer_only is None  # viewers are never suggested
    assert suggest_assignee(roster, tags=[], team="Technical Support", neighbours=[]) is None  # a team alone is no match


def test_tiptap_description_is_flattened_and_bounded() -> None:
    doc = {"type": "doc", "content": [
        {"type": "heading", "content": [{"type": "text", "text": "Outage"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "Server "}, {"type": "text", "text": "down", "marks": [{"type": "bold"}]}]},
    ]}
    assert description_text(doc) == "Outage\nServer down"
    assert description_text("plain") == "plain" and description_text(None) == ""
    deep: dict = {"type": "text", "text": "x"}
    for _ in range(40):
        deep = {"type": "paragraph", "content": [deep]}
    with pytest.raises(TipTapError):
        description_text(deep)
    with pytest.raises(TipTapError):
        description_text(42)
