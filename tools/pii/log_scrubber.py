"""Keeps personal data out of log files, whatever a library or a careless f-string puts there.

Logging is hot and must never fail, so this uses a handful of fast patterns rather than the
full Presidio pipeline: it over-redacts (any long digit run) instead of risking a PESEL in a log.
"""

from __future__ import annotations

import logging
import re

_SCRUB_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<EMAIL>"),
    # The same in a workflow id, where ``@`` is escaped as ``~40`` and ``-`` as ``~2D``
    # (``chat-demo-anna~40acme.pl-conv_...``, logged by the Temporal server and the SDK).
    (re.compile(r"[\w.+~]+~40[\w~]+(?:\.[\w~]+)+"), "<EMAIL>"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,4})?\b"), "<IBAN>"),
    (re.compile(r"(?<![\w-])\+?\d(?:[ -]?\d){8,}(?![\w-])"), "<NUMBER>"),
    (re.compile(r"\b[A-Z]{3}\s?\d{6}\b"), "<PL_ID_CARD>"),
)


def scrub(text: str) -> str:
    """Text with emails, IBANs, long digit runs (PESEL, NIP, phones, cards) and ID cards masked."""
    for pattern, placeholder in _SCRUB_PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def _scrub_value(value: object) -> object:
    """Numbers stay numbers (for %d); anything else (an exception, a dict) is scrubbed as its text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return scrub(value if isinstance(value, str) else str(value))


class PiiScrubbingFilter(logging.Filter):
    """A handler filter that scrubs the message template, its string arguments and tracebacks.

    Arguments are scrubbed in place rather than merged into the message, because some formatters
    (uvicorn's access log) read ``record.args`` themselves.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        elif record.msg is not None and not record.args:
            record.msg = scrub(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_scrub_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _scrub_value(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def install_log_scrubbing(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``logger`` (root by default); idempotent."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(existing, PiiScrubbingFilter) for existing in handler.filters):
            handler.addFilter(PiiScrubbingFilter())
