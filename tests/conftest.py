"""Shared fixtures. Everything is real: MiniLM, FAISS, BM25, and the llama.cpp generator.

Tests never touch the project's own index/: each session works on a copy of corpus/ in a temp folder.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from chatbot.answering import Chatbot  # noqa: E402
from chatbot.config import Settings  # noqa: E402
from chatbot.embeddings import Embedder  # noqa: E402
from chatbot.generation import load_generator  # noqa: E402
from chatbot.index import build_index  # noqa: E402

SCIATIC_DOC = "001_5504509c8ebd97f0.txt"


def copy_corpus(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for f in (PROJECT / "corpus").iterdir():
        shutil.copy(f, target / f.name)
    return target


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings())


@pytest.fixture(scope="session")
def generator():
    return load_generator(Settings())


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, embedder) -> Settings:
    root = tmp_path_factory.mktemp("collection")
    settings = Settings(corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index")
    build_index(settings, embedder, progress=False)
    return settings


@pytest.fixture(scope="session")
def bot(built_settings, embedder, generator) -> Chatbot:
    return Chatbot(built_settings, embedder=embedder, generator=generator)


@pytest.fixture
def fresh_settings(tmp_path) -> Settings:
    """A private copy of the corpus and an empty index folder, for tests that change them."""
    return Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
