"""Keep third-party libraries off the network.

The machine has no internet, and a support desk's workers must not call home: Hugging Face hubs,
Chroma telemetry and tldextract's public-suffix download are all switched to their offline form
before those libraries are imported.
"""

from __future__ import annotations

import os


def enforce_offline() -> None:
    """Set the environment switches that keep model and data loading local. Idempotent."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _use_bundled_public_suffix_list()


def _use_bundled_public_suffix_list() -> None:
    """Point tldextract (used by Presidio's email recognizer) at its bundled snapshot."""
    import tldextract.tldextract as tld

    if getattr(tld.TLD_EXTRACTOR, "_triage_offline", False):
        return
    extractor = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    extractor._triage_offline = True  # type: ignore[attr-defined]
    tld.TLD_EXTRACTOR = extractor
