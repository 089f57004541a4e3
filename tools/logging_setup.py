"""One logging set-up for every entry point, with personal data scrubbed before it reaches a handler."""

from __future__ import annotations

import logging

from tools.pii.log_scrubber import install_log_scrubbing

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)
    install_log_scrubbing()
