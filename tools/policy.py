"""Policy check of a reply draft before it may reach a customer, and of the ticket it answers.

Flags the promises support agents are not allowed to make on their own (refunds), whether the
draft commits to a timeline, whether a human must look at the ticket, and whether the ticket
tries to manipulate the assistant: prompt injection ("ignore previous instructions", "you are
now..."), hidden instructions in quoted or invisible text, requests to confirm refunds in writing
and requests for credentials, in English and Polish.

Everything here is pure and deterministic (regular expressions, no model, no clock): the
``policy_check`` node runs inside the Temporal workflow, so it must replay identically. A model
may add findings (``extra_findings``) computed in an activity; it can never remove one.

Every issue starts with a stable code (``prompt_injection: ...``) so callers can act on the kind
of finding without parsing prose; :data:`ISSUE_CODES` lists them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_REFUND_PROMISE = re.compile(
    r"\b(we will|we'll|i will|i'll|we have|we've|has been|will be)\s+(\w+\s+){0,3}(refund\w*|reimburs\w*|credit(ed)? back)\b|"
    r"\brefund (has been|was|is) (issued|processed|approved)\b|\bguarantee\w* (a )?refund\b|"
    r"\bzwrócimy\b|\bzwrot (został|zostanie) (zlecony|wykonany)\b",
    re.IGNORECASE,
)
_SLA = re.compile(
    r"\b(within|in the next|w ciągu)\s+\d+(\s*[-–]\s*\d+)?\s*(business\s+)?(hours?|days?|minutes?|godzin\w*|dni)\b|\bSLA\b",
    re.IGNORECASE,
)
_PII_LEAK = re.compile(r"\b\d{11}\b|\b[A-Z]{2}\d{2}(?:\s?\d{4}){4,7}\b")

# ---------------------------------------------------------------- manipulation in the ticket
# Codes of findings about the ticket itself (the draft may be fine; the request is not).
PROMPT_INJECTION = "prompt_injection"
ROLE_OVERRIDE = "role_override"
HIDDEN_INSTRUCTION = "hidden_instruction"
COMMITMENT_REQUEST = "commitment_request"
CREDENTIAL_REQUEST = "credential_request"
MANIPULATION_CODES = (PROMPT_INJECTION, ROLE_OVERRIDE, HIDDEN_INSTRUCTION, COMMITMENT_REQUEST, CREDENTIAL_REQUEST)
"""Findings that mean the ticket tried to steer the assistant: routing never auto-resolves them."""

ISSUE_CODES = (
    "refund_promise",
    "pii_in_draft",
    "unknown_citation",
    "no_supporting_article",
    "escalation_needed",
    "model_finding",
    *MANIPULATION_CODES,
)

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\u00ad\ufeff]")
_I = re.IGNORECASE
# Polish tickets are often typed without diacritics ("potwierdz na pismie"): text and patterns are
# both folded to ASCII letters before matching, so one pattern covers both spellings.
_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern.translate(_FOLD), flags)

# "ignore all previous instructions", never "ignore my previous message" (a customer correcting themselves).
_INJECTION = _rx(
    r"\b(?:ignore|disregard|forget|override|bypass|drop|skip)\s+(?:about\s+)?(?:all\s+|any\s+|every\s+)?(?:of\s+)?"
    r"(?:the\s+|your\s+|these\s+|those\s+|its\s+)?(?:previous|prior|above|earlier|preceding|original|initial|system|existing|current|safety|support)?\s*"
    r"(?:instructions?|prompts?|rules|directives?|guidelines|guardrails|polic(?:y|ies)|restrictions|programming|system\s+prompt)\b"
    r"|\b(?:stop|don'?t|do\s+not|no\s+longer)\s+(?:following|follow|obeying|obey|applying|apply)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+|those\s+|these\s+)?(?:\w+\s+)?(?:instructions|rules|guidelines|policies|prompt|programming)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:everything|anything|all|what|whatever)\s+(?:that\s+)?(?:you\s+(?:were|have\s+been|'ve\s+been|are)\s+(?:told|given|instructed|programmed|trained)|your\s+(?:company|employer|developers?|creators?|bosses)\s+(?:told|said|gave)|(?:above|before|previously))\b"
    r"|\b(?:previous|prior|earlier|old|above|original|existing|safety|system)\s+(?:\w+\s+)?(?:rules|instructions|guidelines|policies|restrictions)\s+(?:are\s+|have\s+been\s+)?(?:no\s+longer\s+apply|no\s+longer\s+valid|(?:now\s+)?(?:void|revoked|cancel+ed|lifted|suspended|disabled|outdated|obsolete))\b"
    r"|\b(?:rules|instructions|guidelines)\s+you\s+(?:were|have\s+been)\s+(?:given|programmed\s+with|trained\s+on)\s+(?:are|is)\s+(?:outdated|obsolete|void|wrong|revoked)\b"
    r"|\b(?:system|admin(?:istrator)?|security|emergency)\s+override\b"
    r"|\b(?:new|updated|real|actual|override)\s+(?:system\s+)?instructions?\s*:"
    r"|\b(?:reveal|print|show|repeat|output)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+prompt|hidden\s+instructions|initial\s+prompt)\b"
    r"|\bjailbreak\b|\b(?:enable|enter|activate|switch\s+(?:on|to|into)|turn\s+on|go\s+into)\s+(?:the\s+)?(?:developer|dan|god|unrestricted)\s+mode\b"
    # Polish: zignoruj/pomiń/zapomnij (o) poprzednie/wcześniejsze instrukcje|polecenia|zasady
    r"|\b(?:zignoruj|zignorujcie|ignoruj|pomiń|pomińcie|zapomnij|zapomnijcie|olej|nie\s+stosuj\s+się\s+do|nie\s+przestrzegaj)\s+(?:o\s+)?"
    r"(?:wszystkie\s+|wszystkich\s+|wszelkie\s+|wszelkich\s+)?(?:swoje\s+|swoich\s+|twoje\s+|twoich\s+)?"
    r"(?:poprzedni\w*|wcześniejsz\w*|dotychczasow\w*|powyższ\w*|systemow\w*|obowiązując\w*)?\s*"
    r"(?:instrukcj\w*|polece\w*|zasad\w*|reguł\w*|wytyczn\w*|ogranicze\w*|prompt\w*)"
    r"|\bnie\s+(?:zwracaj|zwracajcie)\s+uwagi\s+na\s+(?:swoje|twoje|te|poprzednie|wcześniejsze|wszystkie|żadne)\s+(?:\w+\s+)?(?:instrukcj\w*|polece\w*|zasad\w*|reguł\w*|wytyczn\w*)"
    r"|\bnie\s+(?:słuchaj|wykonuj|przestrzegaj|stosuj)\s+(?:\w+\s+)?(?:swoich|twoich|poprzednich|wcześniejszych|tych|żadnych)\s+(?:\w+\s+)?(?:instrukcj\w*|polece\w*|zasad\w*|reguł\w*|wytyczn\w*)"
    r"|\bprzestań\w*\s+(?:stosować|przestrzegać|słuchać|wykonywać)\s+(?:\w+\s+)?(?:instrukcj\w*|polece\w*|zasad\w*|reguł\w*|wytyczn\w*)"
    r"|\b(?:zapomnij|zapomnijcie|zignoruj|zignorujcie)\s+(?:o\s+)?(?:wszystk\w*|to|tym)\s*,?\s+(?:co|czego)\s+(?:ci|wam|tobie)?\s*(?:powiedzian\w*|kazan\w*|polecon\w*|napisan\w*|wpisan\w*|zaprogramowan\w*|mówi\w*|kazali|powiedzieli)"
    r"|\b(?:poprzednie|wcześniejsze|dotychczasowe|stare|twoje|wszystkie)\s+(?:\w+\s+)?(?:zasady|instrukcje|polecenia|reguły|wytyczne|ograniczenia)\s+(?:\w+\s+)?(?:już\s+)?(?:nie\s+obowiązują|przestają\s+obowiązywać|są\s+(?:nieważne|nieaktualne|odwołane|wyłączone|anulowane)|zostały\s+(?:odwołane|wyłączone|anulowane|uchylone))"
    r"|\b(?:twoje|wasze)\s+(?:zasady|instrukcje|reguły|wytyczne)\s+(?:są|sa)\s+(?:nieaktualne|nieważne|błędne|odwołane)"
    r"|\b(?:nowe|prawdziwe|zaktualizowane)\s+instrukcje\s*:"
    r"|\b(?:pokaż|ujawnij|wypisz|powtórz)\s+(?:mi\s+)?(?:swój\s+|swoje\s+|twój\s+)?(?:prompt\s+systemowy|instrukcje\s+systemowe|ukryte\s+instrukcje)"
    r"|\b(?:włącz\w*|przejdź\w*\s+w|przełącz\w*\s+(?:się\s+)?(?:na|w)|aktywuj\w*|uruchom\w*)\s+tryb\w*\s+(?:deweloper\w*|programist\w*|bez\s+ogranicze\w*|administrator\w*)",
    _I,
)
_ROLE = _rx(
    r"\byou\s+are\s+now\s+(?:a|an|my|the|in)?\s*(?:\w+\s+){0,3}?(?:assistant|agent|bot|ai|model|admin\w*|administrator|developer|manager|supervisor|"
    r"refund\s+officer|mode|persona|character|employee|gpt|llm)\b"
    r"|\bfrom\s+now\s+on,?\s+(?:you|your)\s+(?:are|will|must|shall|should|answer|respond|reply|only)\b"
    r"|\b(?:pretend|act|behave|roleplay|role-play)\s+(?:to\s+be\s+|as\s+if\s+you\s+(?:are|were)\s+|as\s+|like\s+)(?:a|an|my|the)?\s*(?:\w+\s+){0,2}?"
    r"(?:assistant|agent|bot|ai|admin\w*|manager|supervisor|developer|employee|human|person|refund\s+officer|system)\b"
    r"|\byour\s+new\s+(?:role|persona|instructions?|task|job)\s+is\b"
    r"|\b(?:imagine|assume|suppose|pretend|let'?s\s+say|say)\s+(?:that\s+)?you(?:\s+are|'re)\s+(?:\w+\s+){0,3}?(?:director|officer|manager|supervisor|admin\w*|owner|ceo|cfo|boss|head|lead|executive|agent|assistant|employee|staff|representative)\b"
    r"|\byou\s+(?:will|shall|are\s+going\s+to)\s+(?:now\s+)?(?:play|take\s+on|assume|act\s+in)\s+the\s+role\s+of\b|\b(?:play|take\s+on|assume)\s+the\s+role\s+of\s+(?:a|an|the|my)\b"
    r"|\bin\s+(?:that|this|your\s+new)\s+role\s*,\s*(?:please\s+)?(?:approve|waive|refund|grant|cancel|issue|give)\b"
    # Polish
    r"|\b(?:jesteś|jesteście)\s+teraz\s+(?:\w+\s+){0,3}?(?:asystent\w*|agent\w*|bot\w*|administrator\w*|kierownik\w*|menedżer\w*|model\w*|ai|"
    r"pracownik\w*|konsultant\w*|innym|inną|kim\w*)"
    r"|\bod\s+teraz\s+(?:jesteś|jesteście|będziesz|masz|musisz|odpowiadasz|działasz)\b"
    r"|\b(?:udawaj|udawajcie|zachowuj\s+się\s+jak|wciel\s+się\s+w|wcielasz\s+się\s+w)\b"
    r"|\btwoja\s+nowa\s+(?:rola|instrukcja|persona)\b"
    r"|\b(?:wyobraź|wyobraźcie|załóżmy|przyjmij|przyjmijmy|załóż)(?:\s+sobie)?\s*,?\s*(?:że|ze)\s+(?:jesteś|jesteście)\b"
    r"|\b(?:wcielasz|wcielacie)\s+się\b|\b(?:zagraj|odegraj)\s+rol\w*|\bw\s+tej\s+roli\s*,?\s*(?:zatwierdź|anuluj|przyznaj|zwróć|umorz|daj|wydaj)\w*",
    _I,
)
_HIDDEN = _rx(
    r"<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?INST\]|<</?SYS>>|###\s*(?:system|instruction)s?\b"
    r"|^[ \t>]*(?:system|assistant|developer|ai|bot|asystent|system\s+prompt)\s*(?:message|note|prompt|instruction|instrukcja|wiadomość)?\s*:\s*"
    r"(?:you\b|ignore\b|approve\b|confirm\b|grant\b|refund\b|always\b|never\b|from\s+now\b|respond\b|reply\b|tell\b|say\b|include\b|mark\b|set\b|"
    r"zignoruj\b|zatwierdź\b|potwierdź\b|przyznaj\b|zawsze\b|nigdy\b|odpowiedz\b|napisz\b|oznacz\b|ustaw\b|zwróć\b)"
    r"|\b(?:note|message|instructions?|reminder|attention|memo)\s+(?:to|for)\s+(?:the\s+|any\s+)?(?:ai|a\.i\.|assistant|bot|chatbot|model|llm|language\s+model|gpt|"
    r"automated\s+(?:system|agent|assistant)|triage\s+(?:system|bot|ai)|support\s+bot)\b"
    r"|\bif\s+you\s+are\s+an?\s+(?:ai|a\.i\.|llm|language\s+model|assistant|bot|chatbot|automated)\b"
    r"|\b(?:to|for)\s+(?:the\s+|any\s+)?(?:ai|a\.i\.|llm|gpt|chatbot|bot|assistant|language\s+model)s?(?:\s+model)?\s+(?:processing|reading|handling|answering|triaging|analy[sz]ing)\b"
    r"|^[ \t>\"'(]*(?:to|for|dear|hey)\s+(?:the\s+)?(?:ai|llm|gpt|chatbot|bot|assistant|language\s+model)(?:\s+model)?\b[^.\n]{0,40}:"
    r"|\(\s*(?:assistant|ai|bot|model|asystencie|asystent|bocie|modelu)\s*,\s*(?:when|please|always|in\s+your|you\s+must|w\s+odpowiedzi|napisz|odpowiedz|zawsze|proszę)"
    r"|\[/?(?:system|assistant|admin|instructions?)\]"
    r"|\bhey\s+bo(?:t|cie)\b"
    r"|^[ \t>\"'(]*(?:do|dla)\s+(?:modelu|asystenta|bota|czatbota|ai|sztucznej\s+inteligencji)(?:\s+ai)?\b[^.\n]{0,40}:"
    r"|\b(?:do|dla)\s+(?:modelu|asystenta|bota|ai|sztucznej\s+inteligencji)(?:\s+ai)?\s+(?:przetwarzając\w*|czytając\w*|obsługując\w*|analizując\w*)\b"
    r"|\b(?:dear|hey|hi)\s+(?:ai|llm|chatbot|gpt|language\s+model)\b[,:]"
    r"|\b(?:instrukcj\w*|wiadomość|uwaga|notatka|polecenie)\s+dla\s+(?:ai|sztucznej\s+inteligencji|asystenta|bota|czatbota|modelu|systemu\s+(?:ai|triażu))\b"
    r"|\bjeśli\s+jesteś\s+(?:ai|sztuczną\s+inteligencją|botem|modelem|asystentem|czatbotem)\b",
    _I | re.MULTILINE,
)
_HTML_COMMENT = _rx(r"<!--(.*?)-->", re.DOTALL)
_INSTRUCTION_WORDS = _rx(
    r"\b(?:ignore|instruction|assistant|system|approve|refund|confirm|grant|password|always|never|respond|reply|"
    r"zignoruj|instrukcj|asystent|zatwierdź|potwierdź|zwrot|hasło|odpowiedz)\w*",
    _I,
)

_SENTENCE = _rx(r"[^.!?\n]+[.!?]?")
# Commitments the ticket asks the reply to make ("confirm in writing", "state in your reply").
_COMMIT_VERB = _rx(
    r"\b(?:confirm|state|write|promise|guarantee|acknowledge|declare|agree|say|put\s+(?:it|this)|include|certify)\w*\b"
    r"|\b(?:i\s+need|i\s+want|i\s+demand|i\s+require)\b"
    r"|\b(?:potwierd\w*|napisz\w*|zagwarantuj\w*|gwarantuj\w*|obiecaj\w*|zapewnij\w*|oświadcz\w*|przyznaj\w*|zadeklaruj\w*|potrzebuję|chcę|żądam|wymagam)",
    _I,
)
_IN_WRITING = _rx(
    r"\b(?:in\s+writing|in\s+(?:your|the|this)\s+(?:reply|response|answer|email)|by\s+e-?mail|officially|on\s+record|formally|explicitly|"
    r"in\s+this\s+(?:email|message|ticket)|with\s+a\s+reply|a\s+written\s+(?:statement|confirmation|guarantee|promise)|written\s+(?:statement|guarantee|promise)|"
    r"na\s+piśmie|pisemn\w*|mailowo|e-?mailem|w\s+odpowiedzi|odpowiedzią|oficjalnie|w\s+mailu|czarno\s+na\s+białym)\b",
    _I,
)
_MONEY = _rx(
    r"\b(?:refund\w*|reimburs\w*|compensat\w*|money\s+back|credit\w*|chargeback|waive\w*|free\s+of\s+charge|for\s+free|discount|voucher|"
    r"zwrot\w*|zwróc\w*|rekompensat\w*|odszkodowa\w*|zadośćuczynien\w*|rabat\w*|bon\w*|gratis|za\s+darmo|bezpłatn\w*|umorzen\w*|pieniądz\w*)"
    r"|[$€£]\s?\d|\b\d[\d\s.,]*\s?(?:zł|złotych|pln|eur|euro|usd|dollars?)\b",
    _I,
)
_ENTITLEMENT = _rx(
    r"\b(?:that|:)\s+(?:\w+\s+){0,4}?(?:i|we|my\s+\w+|our\s+\w+|the\s+customer)\s+(?:will|shall|'ll|am|are|is)\s+(?:\w+\s+){0,2}?"
    r"(?:get|receive|be\s+(?:fully\s+)?(?:refunded|reimbursed|compensated|credited)|entitled|owed|given)\b"
    r"|\b(?:that|:)\s+(?:\w+\s+){0,4}?(?:you|your\s+company)\s+(?:will|shall|'ll)\s+(?:\w+\s+){0,2}?(?:refund|reimburse|compensate|pay|credit|waive|return)\b"
    r"|\b(?:that|:)\s+(?:\w+\s+){0,5}?(?:will|shall)\s+be\s+(?:returned|refunded|credited|reimbursed|paid\s+back|waived)\b"
    r"|\b(?:that|:)\s+(?:\w+\s+){0,4}?(?:my|our)\s+(?:account|card|balance)\s+will\s+be\s+(?:credited|refunded|topped\s+up)\b"
    r"|\b(?:full|complete|total|100\s?%)\s+refund\b"
    r"|\bże\s+(?:\w+\s+){0,4}?(?:otrzymam|dostanę|dostaniemy|otrzymamy|zostanie\s+mi\s+zwrócon\w*|zwrócicie|oddacie|należy\s+mi\s+się|przysługuje\s+mi|wróci|wrócą|zwrócą|zostanie\s+zwrócon\w*|zostaną\s+zwrócon\w*)\b"
    r"|\b(?:pełny|pełnego|całkowity|całkowitego|całości)\s+zwrot\w*|\bzwrot\w*\s+(?:całej|pełnej)\s+kwoty\b",
    _I,
)
_CREDENTIAL = _rx(
    r"\b(?:password|passwords|passcode|credentials|login\s+details|api\s+key|secret\s+key|access\s+token|bearer\s+token|2fa\s+code|mfa\s+code|"
    r"one-time\s+code|otp|recovery\s+codes?|backup\s+codes?|pin\s+code|admin\s+access|root\s+access|"
    r"hasł\w*|dane\s+logowania|danych\s+logowania|dane\s+dostępowe|danych\s+dostępowych|klucz\w*\s+api|token\w*\s+dostępu|kod\w*\s+(?:2fa|mfa|jednorazow\w*|sms)|"
    r"kody\s+zapasowe|pin\w*|dostęp\w*\s+administrator\w*|uprawnienia\s+administrator\w*)\b",
    _I,
)
_DISCLOSE = _rx(
    r"\b(?:send|give|tell|share|email|e-mail|provide|forward|reply\s+with|text|dm|read\s+out|disclose|confirm)\s+(?:it\s+)?(?:to\s+)?(?:me|us|him|her|them)\b"
    r"|\b(?:send|give|tell|share|email|provide|forward|disclose|reveal|confirm)\s+(?:\w+\s+){0,3}?(?:the|his|her|their|your|admin|another|my\s+(?:boss|manager|colleague)'?s?)\b"
    r"|\b(?:what\s+is|what'?s|tell\s+me)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:admin|administrator|root|router|server|shared|his|her|their)\b"
    r"|\b(?:podaj\w*|poda[cć]|prześlij\w*|przesła[cć]|wyślij\w*|wysła[cć]|przekaż\w*|przekaza[cć]|podeślij\w*|podesła[cć]|zdradź\w*|zdradzi[cć]|"
    r"udostępnij\w*|udostępni[cć]|napisz\w*|napisa[cć])\s+(?:je\s+|go\s+|to\s+)?(?:mi|nam)\b"
    r"|\b(?:prześlij\w*|przesła[cć]|wyślij\w*|wysła[cć]|przekaż\w*|przekaza[cć]|podeślij\w*|podesła[cć])\s+(?:\w+\s+){0,4}?(?:na\s+(?:adres|maila|e-?mail|numer|telefon)|do\s+mnie)\b"
    r"|\b(?:jakie|jaki)\s+(?:jest|są)\s+(?:\w+\s+){0,1}?(?:hasło|hasła|login|pin|kod)\w*\s+(?:do|na|administrator\w*)\s+(?:routera|serwera|konta\s+administrator\w*|administrator\w*|wspóln\w*|jego|jej)",
    _I,
)
# A link to reset one's own password is the normal self-service path, not a credential request.
_CREDENTIAL_BENIGN = _rx(
    r"\b(?:reset\s+link|link\s+to\s+reset|password\s+reset|reset\s+(?:my\s+)?password|how\s+(?:do|can)\s+i|forgot|zapomniał\w*|link\w*\s+do\s+(?:resetu|zmiany)|"
    r"resetu\s+hasła|zmienić\s+hasło|zmiany\s+hasła|jak\s+(?:mogę|zmienić|zresetować))\b",
    _I,
)
_THIRD_PARTY = _rx(
    r"\b(?:another\s+user|other\s+user|colleague|co-?worker|my\s+boss|manager|ceo|cfo|director|admin(?:istrator)?|his|her|their|"
    r"innego\s+użytkownika|współpracownik\w*|kolegi|koleżanki|szef\w*|prezes\w*|dyrektor\w*|kierownik\w*|administrator\w*|jego|jej)\b",
    _I,
)
_RESET_VERB = _rx(r"\b(?:reset|disable|remove|turn\s+off|zresetuj|wyłącz|usuń)\w*", _I)


@dataclass(frozen=True)
class ManipulationFinding:
    """One sign that a ticket tries to steer the assistant; ``evidence`` is the matched phrase (short)."""

    code: str
    evidence: str


def _normalised(text: str) -> str:
    """NFKC-fold, drop zero-width characters and fold Polish letters, so "ig\u200bnore", full-width
    letters and "potwierdz" still match."""
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).translate(_FOLD)


def _evidence(match: re.Match[str]) -> str:
    return " ".join(match.group(0).split())[:60]


def detect_manipulation(ticket_text: str) -> list[ManipulationFinding]:
    """Prompt-injection and social-engineering signs in a ticket, at most one finding per code.

    Why on the ticket and not only on the draft: the offline draft never obeys the ticket, but a
    model-written one may, and an agent skimming a flagged ticket should know it was a lure.
    """
    findings: dict[str, ManipulationFinding] = {}
    text = _normalised(ticket_text)

    def add(code: str, evidence: str) -> None:
        findings.setdefault(code, ManipulationFinding(code, evidence))

    if (hit := _INJECTION.search(text)) is not None:
        add(PROMPT_INJECTION, _evidence(hit))
    if (hit := _ROLE.search(text)) is not None:
        add(ROLE_OVERRIDE, _evidence(hit))
    if (hit := _HIDDEN.search(text)) is not None:
        add(HIDDEN_INSTRUCTION, _evidence(hit))
    for comment in _HTML_COMMENT.finditer(text):
        if _INSTRUCTION_WORDS.search(comment.group(1)):
            add(HIDDEN_INSTRUCTION, "instructions inside an HTML comment")
    if _ZERO_WIDTH.search(ticket_text) and re.search(r"\w[\u200b\u200c\u200d\u2060\u00ad\ufeff]+\w", ticket_text):
        add(HIDDEN_INSTRUCTION, "zero-width characters inside words")
    for sentence_match in _SENTENCE.finditer(text):
        sentence = sentence_match.group(0)
        verb = _COMMIT_VERB.search(sentence)
        if verb and _MONEY.search(sentence) and (_IN_WRITING.search(sentence) or _ENTITLEMENT.search(sentence)):
            add(COMMITMENT_REQUEST, " ".join(sentence.split())[:60])
        credential = _CREDENTIAL.search(sentence)
        if credential and _DISCLOSE.search(sentence) and not _CREDENTIAL_BENIGN.search(sentence):
            add(CREDENTIAL_REQUEST, _evidence(credential))
        elif credential and _THIRD_PARTY.search(sentence) and _RESET_VERB.search(sentence):
            add(CREDENTIAL_REQUEST, _evidence(credential))
    return [findings[code] for code in MANIPULATION_CODES if code in findings]


_DESCRIPTIONS = {
    PROMPT_INJECTION: "the ticket tells the assistant to ignore or reveal its instructions",
    ROLE_OVERRIDE: "the ticket tries to give the assistant a new role or persona",
    HIDDEN_INSTRUCTION: "the ticket hides instructions for an AI in quoted, marked-up or invisible text",
    COMMITMENT_REQUEST: "the ticket asks for a written commitment to a refund or payment",
    CREDENTIAL_REQUEST: "the ticket asks for credentials or another person's access",
}
# Injection, hidden instructions and credential requests fail the check (a human must handle the
# ticket); a request to confirm a refund in writing is a warning (a human must write the promise).
_FAILING = {PROMPT_INJECTION, ROLE_OVERRIDE, HIDDEN_INSTRUCTION, CREDENTIAL_REQUEST}


@dataclass(frozen=True)
class PolicyOutcome:
    refund_promise: bool
    sla_mentioned: bool
    escalation_needed: bool
    compliance: str
    issues: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    """Issue codes in the order of ``issues`` (one per issue)."""

    @property
    def suspected_manipulation(self) -> bool:
        return any(code in MANIPULATION_CODES for code in self.codes)


class PolicyChecker:
    """Checks a draft (and the ticket it answers) against the support policy; pure and deterministic."""

    def check(
        self,
        draft_text: str,
        *,
        priority_level: str,
        sentiment: str,
        citations_count: int,
        security_flag: bool,
        unknown_citations: list[str] | None = None,
        ticket_text: str = "",
        extra_findings: list[tuple[str, str]] | None = None,
    ) -> PolicyOutcome:
        """The outcome for one draft.

        Args:
            draft_text: greeting, body and closing as the customer would read them.
            unknown_citations: ids the draft cited that retrieval did not return, including the
                ones the draft node already removed (the check must see them to fire).
            ticket_text: the customer's message, scanned for manipulation.
            extra_findings: ``(code, description)`` pairs a model added; they can only make the
                outcome stricter (a warning at least), never clear a deterministic finding.
        """
        issues: list[tuple[str, str]] = []
        refund_promise = bool(_REFUND_PROMISE.search(draft_text))
        sla_mentioned = bool(_SLA.search(draft_text))
        manipulation = detect_manipulation(ticket_text) if ticket_text else []
        escalation_reasons = []
        if priority_level in ("P1", "P2"):
            escalation_reasons.append(f"priority {priority_level}")
        if sentiment == "angry":
            escalation_reasons.append("angry customer")
        if security_flag:
            escalation_reasons.append("security-related ticket")
        if any(f.code in _FAILING for f in manipulation):
            escalation_reasons.append("suspected manipulation of the assistant")
        escalation_needed = bool(escalation_reasons)

        failed = False
        if refund_promise:
            issues.append(("refund_promise", "draft promises a refund; refunds need Finance approval"))
            failed = True
        if _PII_LEAK.search(draft_text):
            issues.append(("pii_in_draft", "draft contains what looks like a national ID or account number"))
            failed = True
        if unknown_citations:
            issues.append(("unknown_citation", f"draft cites unknown documents: {', '.join(sorted(set(unknown_citations)))}"))
            failed = True
        for finding in manipulation:
            issues.append((finding.code, _DESCRIPTIONS[finding.code]))
            failed = failed or finding.code in _FAILING
        for code, description in extra_findings or []:
            code = code if code in ISSUE_CODES else "model_finding"
            issues.append((code, description))
            failed = failed or code in _FAILING
        if citations_count == 0:
            issues.append(("no_supporting_article", "no knowledge-base article supports the draft"))
        if escalation_needed:
            issues.append(("escalation_needed", "escalation needed: " + ", ".join(escalation_reasons)))
        compliance = "failed" if failed else ("warning" if issues else "passed")
        return PolicyOutcome(
            refund_promise,
            sla_mentioned,
            escalation_needed,
            compliance,
            [f"{code}: {text}" for code, text in issues],
            [code for code, _ in issues],
        )
