"""Offline reply suggestions for ``ai.generateReplySuggestions``: two customer-facing drafts.

``helpful`` / ``detailed`` is the triage draft itself (:class:`tools.drafting.OfflineDrafter`:
the best article's customer steps, related articles, the team's follow-up promise); ``empathetic``
/ ``concise`` acknowledges the problem and points to the article in two or three sentences. Both
are in the ticket's language (Polish or English), cite only retrieved articles as [DOC-ID] and never
quote an article's agent procedure.
"""

from __future__ import annotations

from tools.drafting import OfflineDrafter, SourceArticle, sla_phrase, template_language

CONCISE: dict[str, dict[str, str]] = {
    "en": {
        "sorry": "I'm sorry for the trouble with this, and thank you for your patience.",
        "pointer": 'The steps in our article "{title}" [{doc_id}] resolve most cases like yours; the first one is: {step}',
        "no_article": "I have passed your ticket to our {team}, who will get back to you within {sla}.",
        "follow_up": "If it does not help, just reply and our {team} will take it from there within {sla}.",
    },
    "pl": {
        "sorry": "Przepraszamy za ten kłopot i dziękujemy za cierpliwość.",
        "pointer": "Kroki z naszego artykułu [{doc_id}] rozwiązują większość takich zgłoszeń; pierwszy z nich: {step}",
        "no_article": "Przekazaliśmy zgłoszenie do zespołu {team}, który odpowie w ciągu {sla}.",
        "follow_up": "Jeśli to nie pomoże, odpowiedz na tę wiadomość, a zespół {team} zajmie się sprawą w ciągu {sla}.",
    },
}


def offline_reply_suggestions(
    drafter: OfflineDrafter,
    *,
    sentiment: str,
    subcategory: str,
    team: str,
    sla_hours: int,
    articles: list[SourceArticle],
    language: str,
) -> list[dict[str, str]]:
    """[detailed/helpful, concise/empathetic] reply texts (bodies: greeting and signature are the agent's)."""
    language = template_language(language)
    article = articles[0] if articles else None
    detailed = drafter.draft(
        customer_name="",
        sentiment=sentiment,
        subcategory=subcategory,
        team=team,
        sla_hours=sla_hours,
        article=article,
        related=[(a.doc_id, a.title) for a in articles[1:]],
        language=language,
    )
    words = CONCISE[language]
    sla = sla_phrase(sla_hours, language)
    if article and article.steps:
        concise = " ".join(
            (words["sorry"], words["pointer"].format(title=article.title, doc_id=article.doc_id, step=article.steps[0]), words["follow_up"].format(team=team, sla=sla))
        )
    else:
        concise = " ".join((words["sorry"], words["no_article"].format(team=team, sla=sla)))
    return [
        {"text": detailed.body, "tone": "helpful", "length": "detailed"},
        {"text": concise, "tone": "empathetic", "length": "concise"},
    ]
