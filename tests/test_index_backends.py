"""What any index backend must do, run against both: the embedded store and a real Milvus server (the binary of the
pinned milvus-lite 2.5.1 wheel, on a free loopback port). Adding, changing and removing a document touches only
it; a deletion leaves no chunk behind; a rebuild is swapped in whole; searches run while a build does; a Milvus
server that goes away is one sentence, and answers again once it is back."""
from __future__ import annotations

import threading
import uuid

import pytest
from helpers import copy_corpus
from helpers.milvus import milvus_server, start, stop

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.errors import IndexUnavailableError
from chatbot.index.backend import build_index, load_index


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    with milvus_server(tmp_path_factory.mktemp("milvus")) as (uri, process):
        yield uri


@pytest.fixture(params=["embedded", pytest.param("milvus", marks=pytest.mark.slow)])
def backend_settings(request, tmp_path) -> Settings:
    settings = Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    if request.param == "milvus":
        uri = request.getfixturevalue("milvus")
        settings = settings.replace(index_backend="milvus", milvus_uri=uri, milvus_collection=f"t_{uuid.uuid4().hex[:12]}")
    return settings


NOTE = "Lighthouse keepers trimmed the lamp wicks every four hours through the night.\n"


def test_adding_changing_and_removing_a_document_touches_only_it(backend_settings, embedder):
    first = build_index(backend_settings, embedder, progress=False)
    assert len(first.added) == 5 and first.n_chunks > 50
    note = backend_settings.corpus_dir / "keepers.txt"
    note.write_text("Keepers\n\n" + NOTE, encoding="utf-8")
    added = build_index(backend_settings, embedder, progress=False)
    assert added.added == ["keepers.txt"] and len(added.unchanged) == 5 and added.n_chunks == first.n_chunks + 1
    index = load_index(backend_settings)
    assert "keepers.txt" in index.manifest.documents
    assert index.chunk(int(index.dense_search(embedder.embed(["lamp wicks trimmed"])[0], 1)[1][0])).doc_id == "keepers.txt"
    index.close()

    note.write_text("Keepers\n\nLighthouse keepers polished the brass lens each morning.\n", encoding="utf-8")
    changed = build_index(backend_settings, embedder, progress=False)
    assert changed.updated == ["keepers.txt"] and changed.n_chunks == first.n_chunks + 1
    texts = [c.text for c in load_index(backend_settings).all_chunks() if c.doc_id == "keepers.txt"]
    assert texts == ["Lighthouse keepers polished the brass lens each morning."]  # the old text is gone

    note.unlink()
    removed = build_index(backend_settings, embedder, progress=False)
    assert removed.removed == ["keepers.txt"] and removed.n_chunks == first.n_chunks
    index = load_index(backend_settings)
    assert not [c for c in index.all_chunks() if c.doc_id == "keepers.txt"] and "keepers.txt" not in index.manifest.documents
    assert index.keyword_search("brass lens polished", 5)[1].size == 0  # nothing left for BM25 either


def test_a_rebuild_is_swapped_in_whole_and_a_reader_keeps_its_build(backend_settings, embedder):
    build_index(backend_settings, embedder, progress=False)
    reader = load_index(backend_settings)
    before = reader.n_chunks
    report = build_index(backend_settings, embedder, rebuild=True, progress=False)
    assert report.reason == "rebuild requested" and report.n_chunks == before
    row = int(reader.dense_search(embedder.embed(["sciatic nerve"])[0], 1)[1][0])
    assert reader.chunk(row).text  # the reader opened before the rebuild still reads its build
    assert load_index(backend_settings).n_chunks == before


def test_searches_run_while_a_build_does(backend_settings, embedder):
    build_index(backend_settings, embedder, progress=False)
    bot = Chatbot(backend_settings, embedder=embedder)
    (backend_settings.corpus_dir / "keepers.txt").write_text("Keepers\n\n" + NOTE, encoding="utf-8")
    errors, done = [], threading.Event()

    def searching():
        while not done.is_set():
            try:
                assert bot.search("What can cause sciatica?")[0].chunk.text
            except Exception as exc:
                errors.append(exc)

    worker = threading.Thread(target=searching)
    worker.start()
    try:
        build_index(backend_settings, embedder, progress=False)
        bot.reload_index()
    finally:
        done.set()
        worker.join()
    assert not errors, errors[:3]
    assert any(r.chunk.doc_id == "keepers.txt" for r in bot.search("lamp wicks trimmed through the night"))


@pytest.mark.slow
def test_a_milvus_server_that_goes_away_is_one_sentence_and_answers_again_when_back(tmp_path, embedder):
    from helpers.serving import free_port

    folder, port = tmp_path / "milvus", free_port()
    folder.mkdir()
    process = start(folder, port)
    settings = Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index").replace(
        index_backend="milvus", milvus_uri=f"http://127.0.0.1:{port}", milvus_timeout_s=3)
    try:
        build_index(settings, embedder, progress=False)
        bot = Chatbot(settings, embedder=embedder)
        assert bot.search("What can cause sciatica?")
        stop(process)  # killed between two searches
        with pytest.raises(IndexUnavailableError) as err:
            bot.search("What can cause sciatica?")
        message = str(err.value)
        assert message.startswith(f"The Milvus server at http://127.0.0.1:{port} cannot be used") and "make serve-index" in message
        assert "\n" not in message and "Traceback" not in message
        process = start(folder, port)  # back, with its data
        assert Chatbot(settings, embedder=embedder).search("What can cause sciatica?")[0].chunk.text
    finally:
        stop(process)


def test_milvus_not_running_at_all_is_one_sentence(tmp_path, embedder):
    from helpers.serving import free_port

    settings = Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index").replace(
        index_backend="milvus", milvus_uri=f"http://127.0.0.1:{free_port()}", milvus_timeout_s=2)
    with pytest.raises(IndexUnavailableError, match="cannot be used"):
        build_index(settings, embedder, progress=False)


def test_a_search_limited_to_some_documents_ranks_only_them(backend_settings, embedder):
    build_index(backend_settings, embedder, progress=False)
    bot = Chatbot(backend_settings, embedder=embedder)
    chosen = ["002_bff040c40be17c8c.txt"]
    limited = bot.search("What can cause sciatica?", k=5, docs=chosen)
    assert len(limited) == 5 and {r.chunk.doc_id for r in limited} == set(chosen)


def test_fusion_inside_the_engine_finds_what_ours_finds(backend_settings, embedder):
    """fusion=engine_rrf: Milvus fuses the two rankings in one call; the reader gets the same passages, with the same
    reported cosine and BM25 scores, whole collection or limited to a document."""
    build_index(backend_settings, embedder, progress=False)
    ours = Chatbot(backend_settings, embedder=embedder)
    engine = Chatbot(backend_settings.replace(fusion="engine_rrf"), embedder=embedder)
    for question, docs in [("Which exercises strengthen the muscles around the knee?", None),
                           ("How does posture affect the spine?", None),
                           ("What can cause sciatica?", ["002_bff040c40be17c8c.txt"])]:
        a, b = ours.search(question, k=5, docs=docs), engine.search(question, k=5, docs=docs)
        assert len(b) == 5 and {r.chunk.chunk_id for r in a} == {r.chunk.chunk_id for r in b}
        assert a[0].chunk.chunk_id == b[0].chunk.chunk_id
        scores = {r.chunk.chunk_id: (r.dense_score, r.bm25_score) for r in a}
        for r in b:
            assert r.dense_score == pytest.approx(scores[r.chunk.chunk_id][0], abs=1e-4)
            assert r.bm25_score == pytest.approx(scores[r.chunk.chunk_id][1], rel=1e-3, abs=1e-3)
