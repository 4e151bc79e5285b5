"""Index: manifest, typed errors, incremental builds whose work follows the change, readers kept safe."""
import json
import os

import numpy as np
import pytest

import chatbot.index.builder as builder
from chatbot.bot import Chatbot
from chatbot.errors import ChatbotError, IndexDamagedError, IndexMismatchError, IndexMissingError
from chatbot.index.backend import build_index, load_index, stale_documents
from chatbot.index.retrieval import Retriever
from chatbot.ingest.chunking import chunker_signature
from chatbot.textutils import keyword_tokens

CHANGED, REMOVED, KEPT = "002_bff040c40be17c8c.txt", "000_0dc00437940c37b0.txt", "001_5504509c8ebd97f0.txt"


class CountingEmbedder:
    """The real embedder, counting how many texts it is asked to embed."""

    def __init__(self, embedder):
        self.inner, self.dimension, self.embedded = embedder, embedder.dimension, 0

    def embed(self, texts, progress=False):
        self.embedded += len(texts)
        return self.inner.embed(texts)


def test_manifest_records_what_the_index_depends_on_and_where_each_document_is(built_settings):
    index = load_index(built_settings)
    m = index.manifest
    assert m.embedding_model == "all-MiniLM-L6-v2" and m.embedding_dim == 384 and m.dense_kind == "flat"
    assert m.chunker == chunker_signature(built_settings.chunking)
    assert set(m.documents) == {p.name for p in built_settings.corpus_dir.glob("*.txt")}
    assert all(len(d.sha256) == 64 and d.size > 0 and d.n_chunks > 0 for d in m.documents.values())
    ranges = sorted((d.first_row, d.first_row + d.n_chunks) for d in m.documents.values())
    assert ranges[0][0] == 0 and all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))  # contiguous, no overlap
    assert m.n_chunks == index.dense.size == index.keyword.size == len(index.all_chunks()) == m.next_row
    assert {"faiss-cpu", "bm25s", "sentence-transformers"} <= set(m.versions)


def test_index_with_other_settings_is_refused_with_the_fix(built_settings):
    for change in ({"embedding_model": "/models/other-embedder"}, {"chunk_target_chars": 300}):
        with pytest.raises(IndexMismatchError) as err:
            load_index(built_settings.replace(**change))
        assert "index --rebuild" in str(err.value) and err.value.reason
    assert "target chars 600 → 300" in err.value.reason and "{" not in err.value.reason  # says what changed, plainly


def test_a_change_re_embeds_only_what_changed_and_shares_the_rest(fresh_settings, embedder, monkeypatch):
    counting = CountingEmbedder(embedder)
    build_index(fresh_settings, counting, progress=False)
    before = load_index(fresh_settings)
    first_total = counting.embedded
    assert first_total == before.n_chunks

    reads = []
    monkeypatch.setattr(builder, "load_document", lambda path: reads.append(path.name) or store_load(path))
    report = build_index(fresh_settings, counting, progress=False)
    assert not report.changed and counting.embedded == first_total and reads == []  # nothing changed: nothing read

    changed = fresh_settings.corpus_dir / CHANGED
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nSwimming is gentle on the knees.\n", encoding="utf-8")
    (fresh_settings.corpus_dir / REMOVED).unlink()
    report = build_index(fresh_settings, counting, progress=False)
    after = load_index(fresh_settings)
    assert report.updated == [CHANGED] and report.removed == [REMOVED] and reads == [CHANGED]
    assert counting.embedded - first_total == after.manifest.documents[CHANGED].n_chunks
    assert REMOVED not in after.manifest.documents and not any(c.doc_id == REMOVED for c in after.all_chunks())
    assert any("Swimming is gentle" in c.text for c in after.all_chunks())
    assert after.manifest.documents[CHANGED].first_row >= before.manifest.next_row  # new rows, never reused
    # The unchanged document's files are the previous build's files (hard links), its vectors untouched.
    kept_old, kept_new = before.manifest.documents[KEPT], after.manifest.documents[KEPT]
    assert kept_old == kept_new
    for suffix in (".chunks.jsonl", ".vectors.npy"):
        old_file = before.path / "segments" / f"{kept_old.segment}{suffix}"
        assert os.path.samefile(old_file, after.path / "segments" / f"{kept_new.segment}{suffix}")
    assert after.dense.size == after.keyword.size == after.n_chunks
    hits = Retriever(after, embedder, fresh_settings.retrieval).search("Is swimming gentle on the knees?", 3)
    assert any("Swimming is gentle" in h.chunk.text for h in hits)


def store_load(path):
    from chatbot.ingest.documents import load_document

    return load_document(path)


def test_a_touched_but_unchanged_file_is_not_re_indexed(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    index = load_index(fresh_settings)
    path = fresh_settings.corpus_dir / KEPT
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert stale_documents(index, fresh_settings.corpus_dir) == []  # read once, same hash
    assert not build_index(fresh_settings, embedder, progress=False).changed


def test_stale_documents_names_added_changed_and_removed_files(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    index = load_index(fresh_settings)
    (fresh_settings.corpus_dir / "new.md").write_text("# New\n\nWalking helps.\n", encoding="utf-8")
    (fresh_settings.corpus_dir / REMOVED).unlink()
    with open(fresh_settings.corpus_dir / CHANGED, "a", encoding="utf-8") as f:
        f.write("\nOne more line.\n")
    assert stale_documents(index, fresh_settings.corpus_dir) == sorted([REMOVED, CHANGED, "new.md"])


def test_large_collections_get_an_ivf_index_that_is_updated_in_place(fresh_settings, embedder):
    flat = fresh_settings
    build_index(flat, embedder, progress=False)
    ivf = flat.replace(index_dir=flat.index_dir.parent / "ivf-index", exact_max_chunks=10, ivf_nprobe=1000)
    build_index(ivf, embedder, progress=False)
    flat_index, ivf_index = load_index(flat), load_index(ivf)
    assert ivf_index.manifest.dense_kind == "ivf" and ivf_index.manifest.dense_trained_on == ivf_index.n_chunks
    query = embedder.embed(["sciatic nerve pain in the knee"])[0]
    # Probing every cluster, IVF finds exactly what exact search finds.
    assert list(flat_index.dense.search(query, 10)[1]) == list(ivf_index.dense.search(query, 10)[1])
    (ivf.corpus_dir / REMOVED).unlink()
    build_index(ivf, embedder, progress=False)
    updated = load_index(ivf)
    assert updated.manifest.dense_kind == "ivf" and updated.dense.size == updated.n_chunks < ivf_index.n_chunks


def test_bm25_in_shards_scores_like_one_bm25_and_rebuilds_only_the_shard_that_changed(fresh_settings, embedder):
    whole = fresh_settings
    build_index(whole, embedder, progress=False)
    sharded = whole.replace(index_dir=whole.index_dir.parent / "sharded", keyword_shard_chunks=20)
    build_index(sharded, embedder, progress=False)
    one, many = load_index(whole).keyword, load_index(sharded).keyword
    assert len(one.shards) == 1 and len(many.shards) >= 3 and np.array_equal(one.rows, many.rows)
    for query in ("sciatic nerve", "knee replacement surgery", "posture at a desk"):
        tokens = keyword_tokens([query])[0]
        a, b = one.scores(tokens), many.scores(tokens)
        assert np.argmax(a) == np.argmax(b)  # the collection's IDF in every shard: only length normalisation differs
        assert np.allclose(a, b, rtol=0.25) and set(np.argsort(-a)[:5]) & set(np.argsort(-b)[:5])
    before = load_index(sharded)
    with open(sharded.corpus_dir / CHANGED, "a", encoding="utf-8") as f:
        f.write("\nCycling keeps knees moving.\n")
    build_index(sharded, embedder, progress=False)
    after = load_index(sharded)
    old_shard = before.manifest.documents[CHANGED].keyword_shard
    shared = [s.name for s in after.keyword.shards if s.name in {x.name for x in before.keyword.shards}
              and os.path.samefile(before.path / "keyword" / s.name / "rows.npy", after.path / "keyword" / s.name / "rows.npy")]
    rebuilt = [s.name for s in after.keyword.shards if s.name not in shared]
    # Only the shard that held the old version (unless it is now empty) and the one given the new version are built.
    assert old_shard not in shared and 1 <= len(rebuilt) <= 2 and len(shared) >= len(before.keyword.shards) - 1
    assert after.manifest.documents[CHANGED].keyword_shard == after.keyword.shards[-1].name in rebuilt


def test_a_build_that_dies_midway_leaves_the_previous_index_and_its_leftovers_go_next_time(fresh_settings, embedder, monkeypatch):
    build_index(fresh_settings, embedder, progress=False)
    good = load_index(fresh_settings)
    (fresh_settings.corpus_dir / "new.txt").write_text("Cycling\n\nCycling strengthens the quadriceps.\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(builder.Shard, "save", crash)
    with pytest.raises(OSError):
        build_index(fresh_settings, embedder, progress=False)
    monkeypatch.undo()
    survivor = load_index(fresh_settings)
    assert [c.chunk_id for c in survivor.all_chunks()] == [c.chunk_id for c in good.all_chunks()]
    assert not list(fresh_settings.index_dir.glob(".build-*"))
    leftover = fresh_settings.index_dir / ".build-20000101T000000000000-1.tmp"  # as left by `kill -9`
    (leftover / "segments").mkdir(parents=True)
    assert "new.txt" in build_index(fresh_settings, embedder, progress=False).added
    assert not leftover.exists()


def test_an_old_build_stays_while_a_reader_holds_it(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    reader = load_index(fresh_settings)
    (fresh_settings.corpus_dir / "new.txt").write_text("Cycling\n\nCycling strengthens the quadriceps.\n", encoding="utf-8")
    build_index(fresh_settings, embedder, progress=False)
    assert reader.path.exists() and reader.chunk(reader.n_chunks - 1).text  # still readable
    reader.close()
    (fresh_settings.corpus_dir / "new.txt").unlink()
    build_index(fresh_settings, embedder, progress=False)
    assert not reader.path.exists() and len(list(fresh_settings.index_dir.glob("build-*"))) == 1


def test_damaged_files_get_a_clear_message_and_a_rebuild_repairs_them(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    index = load_index(fresh_settings)
    (index.path / "dense.faiss").write_bytes(b"not faiss")
    index.close()
    with pytest.raises(IndexDamagedError) as err:
        load_index(fresh_settings)
    assert "damaged" in str(err.value) and "index --rebuild" in str(err.value)
    report = build_index(fresh_settings, embedder, progress=False)
    assert "damaged" in report.reason and load_index(fresh_settings).n_chunks


@pytest.mark.parametrize("edit, words", [
    (lambda m: m.pop("documents"), ["lacks the field 'documents'"]),
    (lambda m: m.update(n_chunks="many"), ["'n_chunks' should be int"]),
    (lambda m: m["documents"][KEPT].pop("first_row"), [KEPT, "first_row"]),
])
def test_a_manifest_with_a_missing_or_wrong_field_is_named(fresh_settings, embedder, edit, words):
    build_index(fresh_settings, embedder, progress=False)
    index = load_index(fresh_settings)
    manifest = json.loads((index.path / "manifest.json").read_text())
    edit(manifest)
    (index.path / "manifest.json").write_text(json.dumps(manifest))
    index.close()
    with pytest.raises(IndexDamagedError) as err:
        load_index(fresh_settings)
    assert all(w in str(err.value) for w in words)


def test_an_index_of_another_format_asks_for_a_rebuild(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    index = load_index(fresh_settings)
    (index.path / "manifest.json").write_text(json.dumps({"format": 1, "documents": {}}))
    index.close()
    with pytest.raises(IndexMismatchError, match="format 1"):
        load_index(fresh_settings)


def test_missing_index_says_how_to_build_it(fresh_settings):
    with pytest.raises(IndexMissingError, match="python -m chatbot index"):
        load_index(fresh_settings)


def test_vectors_in_the_store_are_the_ones_in_faiss(built_settings):
    index = load_index(built_settings)
    row = index.n_chunks // 2
    v = np.asarray(index.vector(row))
    scores, rows = index.dense.search(v, 1)
    assert rows[0] == row and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_a_hostile_folder_is_indexed_file_by_file_and_every_skip_is_named(fresh_settings, embedder, tmp_path):
    """One bad file never blocks a collection; nothing outside the folder is read; no chunk is huge."""
    corpus = fresh_settings.corpus_dir
    secret = tmp_path / "secret.txt"
    secret.write_text("The vault code is kept under the blue mat.\n")
    (corpus / "link.txt").symlink_to(secret)
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(b"\x00\xff\xfe" * 100)
    (corpus / "koi8r.txt").write_bytes("Кофе с молоком.".encode("koi8_r"))  # an 8-bit code page that is not Western
    (corpus / "big.md").write_text("# Big\n\n" + "Words go on. " * 90_000)
    (corpus / "one-line.txt").write_text("Long line\n\n" + " ".join(f"word{i}" for i in range(4_000)))  # 30,000 characters, one line
    (corpus / ".hidden.txt").write_text("Hidden text.\n")
    (corpus / "draft.txt~").write_text("Editor backup.\n")
    settings = fresh_settings.replace(max_document_mb=1.0)

    report = build_index(settings, embedder, progress=False)
    assert set(report.skipped) == {"link.txt", "empty.txt", "binary.txt", "koi8r.txt", "big.md"}
    assert "outside" in report.skipped["link.txt"] and "MB" in report.skipped["big.md"]
    assert "UTF-8" in report.skipped["koi8r.txt"] and "empty" in report.skipped["empty.txt"]
    assert "binary" in report.skipped["binary.txt"]
    index = load_index(settings)
    assert "one-line.txt" in index.manifest.documents and "link.txt" not in index.manifest.documents
    assert not any(".hidden" in d or d.endswith("~") for d in index.manifest.documents)
    chunks = index.all_chunks()
    assert all(len(c.text) <= 1000 for c in chunks) and not any("vault" in c.text for c in chunks)
    assert index.manifest.skipped["big.md"].reason == report.skipped["big.md"]
    # the same bad files are not tried again, and do not count as changes
    again = build_index(settings, embedder, progress=False)
    assert not again.changed and again.skipped == report.skipped and stale_documents(index, corpus) == []
    (corpus / "empty.txt").write_text("Knees\n\nNow it has a sentence about knees. And a second one.\n")
    fixed = build_index(settings, embedder, progress=False)
    assert fixed.added == ["empty.txt"] and "empty.txt" not in fixed.skipped


def test_a_folder_with_nothing_readable_keeps_the_previous_index_and_says_why(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    before = load_index(fresh_settings).path
    for path in fresh_settings.corpus_dir.glob("*.txt"):
        path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ChatbotError) as err:
        build_index(fresh_settings, embedder, progress=False)
    assert "could be indexed" in str(err.value) and "binary" in str(err.value) and ".." not in str(err.value)
    assert load_index(fresh_settings).path == before


def test_an_upload_over_the_size_limit_is_refused_and_nothing_is_written(fresh_settings, embedder):
    settings = fresh_settings.replace(max_document_mb=0.01)
    build_index(settings, embedder, progress=False)
    before = sorted(p.name for p in settings.corpus_dir.iterdir())
    report = Chatbot(settings, embedder=embedder).add_documents([("huge.txt", b"Knees bend. " * 2000)])
    assert not report.added and len(report.errors) == 1
    assert "huge.txt" in report.errors[0] and "0.01 MB limit" in report.errors[0] and "CHATBOT_MAX_DOCUMENT_MB" in report.errors[0]
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == before


def test_lines_left_out_as_furniture_are_counted_in_the_report_and_can_be_shown(fresh_settings, embedder):
    from chatbot.bot import Chatbot

    report = build_index(fresh_settings, embedder, progress=False)
    assert report.furniture["004_3f048b52c8a1d4e2.txt"] == 6 and report.furniture["001_5504509c8ebd97f0.txt"] == 1
    bot = Chatbot(fresh_settings, embedder=embedder)
    info = {d.doc_id: d for d in bot.collection().documents}["004_3f048b52c8a1d4e2.txt"]
    assert info.furniture_blocks == 6 and 0 < info.furniture_chars < 400
    assert "Share on Pinterest" in bot.furniture("004_3f048b52c8a1d4e2.txt")
