"""One logging set-up for every entry point, with personal data scrubbed before it reaches a handler."""

from __future__ import annotations

import logging

from tools.pii.log_scrubber import install_log_scrubbing

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


QUIET_LOGGERS = ("httpx", "presidio-analyzer", "chromadb")
"""Libraries that log every request or every recognizer at INFO: their warnings still show."""


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    install_log_scrubbing()
