"""Embeddings from a server (CHATBOT_EMBEDDINGS=openai): the bundled MiniLM served by llama.cpp's own llama-server
(--embeddings, converted to GGUF by scripts/convert_minilm_gguf.sh) gives the index the in-process embedder gives;
a server whose vectors are another model's is refused before anything is indexed with it."""
from __future__ import annotations

import json
import random

import pytest
from helpers import PROJECT, copy_corpus
from helpers.serving import free_port, misbehaving_server

from chatbot.config import Settings
from chatbot.errors import ChatbotError
from chatbot.index.backend import build_index, load_index
from chatbot.index.embeddings import ServerEmbedder
from chatbot.index.retrieval import Retriever


@pytest.fixture(scope="module")
def embeddings_url():
    from chatbot.model_server import running_embeddings

    with running_embeddings(Settings(), free_port()) as url:
        yield url


@pytest.mark.slow
def test_an_index_built_through_the_embeddings_server_retrieves_what_the_local_one_does(tmp_path, embedder, embeddings_url):
    local = Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "local")
    served = local.replace(index_dir=str(tmp_path / "served"), embeddings="openai", embeddings_base_url=embeddings_url)
    build_index(local, embedder, progress=False)
    server = ServerEmbedder(served)
    report = build_index(served, server, progress=False)
    assert report.n_chunks == load_index(local).n_chunks
    assert load_index(served).manifest.embedder.startswith("server ") and load_index(local).manifest.embedder == "in process"
    questions = [json.loads(line)["question"] for line in (PROJECT / "eval" / "questions.jsonl").read_text().splitlines() if line.strip()]
    ours, theirs = Retriever(load_index(local), embedder, local.retrieval), Retriever(load_index(served), server, served.retrieval)
    overlaps = [len({r.chunk.chunk_id for r in ours.search(q, 5)} & {r.chunk.chunk_id for r in theirs.search(q, 5)}) / 5
                for q in questions]
    assert sum(overlaps) / len(overlaps) >= 0.95, sum(overlaps) / len(overlaps)


def test_a_server_that_gives_another_models_vectors_is_refused_before_indexing(tmp_path):
    """The one stand-in here: a server that answers with random vectors (no real server can be made to)."""
    def reply(handler):
        n = len(json.loads(handler.body)["input"])
        vectors = [{"object": "embedding", "index": i, "embedding": [random.uniform(-1, 1) for _ in range(384)]} for i in range(n)]
        body = {"object": "list", "model": "stand-in", "data": vectors, "usage": {"prompt_tokens": 1, "total_tokens": 1}}
        handler._send(200, json.dumps(body).encode())

    with misbehaving_server(reply) as url:
        settings = Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index").replace(
            embeddings="openai", embeddings_base_url=url)
        with pytest.raises(ChatbotError) as err:
            build_index(settings, progress=False)
    assert "does not give the vectors of all-MiniLM-L6-v2" in str(err.value) and "CHATBOT_EMBEDDINGS=local" in str(err.value)
    assert not (tmp_path / "index" / "CURRENT").exists()  # nothing was indexed with them
