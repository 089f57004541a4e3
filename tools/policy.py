"""Policy check of a reply draft before it may reach a customer.

Flags the promises support agents are not allowed to make on their own (refunds), whether the
draft commits to a timeline, and whether a human must look at the ticket.
"""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class PolicyOutcome:
    refund_promise: bool
    sla_mentioned: bool
    escalation_needed: bool
    compliance: str
    issues: list[str] = field(default_factory=list)


class PolicyChecker:
    """Checks a draft against the support policy; pure and deterministic."""

    def check(
        self,
        draft_text: str,
        *,
        priority_level: str,
        sentiment: str,
        citations_count: int,
        security_flag: bool,
        unknown_citations: list[str] | None = None,
    ) -> PolicyOutcome:
        issues: list[str] = []
        refund_promise = bool(_REFUND_PROMISE.search(draft_text))
        sla_mentioned = bool(_SLA.search(draft_text))
        escalation_reasons = []
        if priority_level in ("P1", "P2"):
            escalation_reasons.append(f"priority {priority_level}")
        if sentiment == "angry":
            escalation_reasons.append("angry customer")
        if security_flag:
            escalation_reasons.append("security-related ticket")
        escalation_needed = bool(escalation_reasons)

        failed = False
        if refund_promise:
            issues.append("draft promises a refund; refunds need Finance approval")
            failed = True
        if _PII_LEAK.search(draft_text):
            issues.append("draft contains what looks like a national ID or account number")
            failed = True
        if unknown_citations:
            issues.append(f"draft cites unknown documents: {', '.join(unknown_citations)}")
            failed = True
        if citations_count == 0:
            issues.append("no knowledge-base article supports the draft")
        if escalation_needed:
            issues.append("escalation needed: " + ", ".join(escalation_reasons))
        compliance = "failed" if failed else ("warning" if issues else "passed")
        return PolicyOutcome(refund_promise, sla_mentioned, escalation_needed, compliance, issues)
