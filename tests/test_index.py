"""Index: manifest, mismatch messages, incremental re-indexing, atomic writes, damage."""
import dataclasses
import json

import numpy as np
import pytest

import chatbot.index as index_module
from chatbot.errors import ChatbotError
from chatbot.index import build_index, load_index


class CountingEmbedder:
    """The real embedder, counting how many texts it is asked to embed."""

    def __init__(self, embedder):
        self.inner, self.dimension, self.embedded = embedder, embedder.dimension, 0

    def embed(self, texts, progress=False):
        self.embedded += len(texts)
        return self.inner.embed(texts)


def test_manifest_records_what_the_index_depends_on(built_settings):
    index = load_index(built_settings)
    m = index.manifest
    assert m["embedding_model"] == "all-MiniLM-L6-v2" and m["embedding_dim"] == 384
    assert m["chunker"] == built_settings.chunker_signature()
    assert set(m["documents"]) == {p.name for p in built_settings.corpus_dir.glob("*.txt")}
    assert all(len(d["sha256"]) == 64 for d in m["documents"].values())
    assert {"faiss-cpu", "bm25s", "sentence-transformers"} <= set(m["versions"])
    assert m["n_chunks"] == len(index.chunks) == index.dense.ntotal


def test_index_with_other_settings_is_refused_with_the_fix(built_settings):
    for change in ({"embedding_model": "/models/other-embedder"}, {"chunk_target_chars": 300}):
        with pytest.raises(ChatbotError) as err:
            load_index(dataclasses.replace(built_settings, **change))
        assert "index --rebuild" in str(err.value)


def test_reindexing_embeds_only_changed_documents_and_drops_removed_ones(fresh_settings, embedder):
    counting = CountingEmbedder(embedder)
    build_index(fresh_settings, counting, progress=False)
    before = load_index(fresh_settings)
    first_total = counting.embedded
    assert first_total == len(before.chunks)

    report = build_index(fresh_settings, counting, progress=False)
    assert not report.changed and counting.embedded == first_total  # nothing changed: nothing embedded

    changed = fresh_settings.corpus_dir / "002_bff040c40be17c8c.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nSwimming is gentle on the knees.\n", encoding="utf-8")
    (fresh_settings.corpus_dir / "000_0dc00437940c37b0.txt").unlink()
    report = build_index(fresh_settings, counting, progress=False)
    after = load_index(fresh_settings)
    assert report.updated == ["002_bff040c40be17c8c.txt"] and report.removed == ["000_0dc00437940c37b0.txt"]
    assert counting.embedded - first_total == sum(c.doc_id.startswith("002") for c in after.chunks)
    assert not any(c.doc_id.startswith("000") for c in after.chunks)
    ids = [c.chunk_id for c in after.chunks]
    assert len(ids) == len(set(ids))
    assert any("Swimming is gentle" in c.text for c in after.chunks)
    # Unchanged documents keep exactly their old vectors.
    old = {c.chunk_id: v for c, v in zip(before.chunks, before.vectors)}
    for c, v in zip(after.chunks, after.vectors):
        if c.doc_id.startswith("001"):
            assert np.array_equal(old[c.chunk_id], v)


def test_a_build_that_dies_midway_leaves_the_previous_index_usable(fresh_settings, embedder, monkeypatch):
    build_index(fresh_settings, embedder, progress=False)
    good = load_index(fresh_settings)
    (fresh_settings.corpus_dir / "new.txt").write_text("Cycling\n\nCycling strengthens the quadriceps.\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(index_module.faiss, "write_index", crash)
    with pytest.raises(OSError):
        build_index(fresh_settings, embedder, progress=False)
    monkeypatch.undo()
    survivor = load_index(fresh_settings)
    assert [c.chunk_id for c in survivor.chunks] == [c.chunk_id for c in good.chunks]
    assert not list(fresh_settings.index_dir.glob(".build-*"))  # no half-written build left behind
    assert "new.txt" in build_index(fresh_settings, embedder, progress=False).added


def test_a_damaged_index_gets_a_clear_message(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    chunks_file = load_index(fresh_settings).path / "chunks.jsonl"
    chunks_file.write_text(chunks_file.read_text()[:500], encoding="utf-8")
    with pytest.raises(ChatbotError) as err:
        load_index(fresh_settings)
    assert "damaged" in str(err.value) and "index --rebuild" in str(err.value)
    report = build_index(fresh_settings, embedder, progress=False)  # a rebuild repairs it
    assert "damaged" in report.reason and load_index(fresh_settings).chunks


def test_missing_index_says_how_to_build_it(fresh_settings):
    with pytest.raises(ChatbotError, match="python -m chatbot index"):
        load_index(fresh_settings)


def test_manifest_is_plain_json(built_settings):
    assert json.loads((load_index(built_settings).path / "manifest.json").read_text())["format"] == 1
