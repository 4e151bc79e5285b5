"""Folders in sync and big ingestions: `index --watch` picks up an added, changed, renamed and deleted file within
seconds, embedding only that file (a rename nothing); an ingestion stopped midway (Ctrl-C) leaves a consistent index
of the files it finished, and the next one embeds only the rest."""
from __future__ import annotations

import threading
import time

import pytest

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.index.backend import build_index, load_index
from chatbot.index.watch import watch


class Counting:
    """The real embedder, counting the texts it embeds; `stop_after` texts, it stops as Ctrl-C would."""

    def __init__(self, inner, stop_after: int | None = None):
        self.inner, self.name, self.dimension, self.embedded, self.stop_after = inner, inner.name, inner.dimension, 0, stop_after

    def embed(self, texts, progress=False):
        if self.stop_after is not None and self.embedded + len(texts) > self.stop_after:
            raise KeyboardInterrupt
        self.embedded += len(texts)
        return self.inner.embed(texts)


def note(i: int) -> str:
    return f"Note {i}\n\nThe keeper of light number {i} logged {i * 7} ships passing in the winter of year {1800 + i}.\n"


def until(condition, seconds: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def test_a_watched_folder_is_followed_within_seconds_embedding_only_what_changed(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"n{i}.txt").write_text(note(i), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    counting = Counting(embedder)
    build_index(settings, counting, progress=False)
    stop = threading.Event()
    worker = threading.Thread(target=watch, args=(settings, lambda r: None), kwargs={"interval_s": 0.5, "stop": stop,
                                                                                   "embedder": counting})
    worker.start()

    def texts() -> set[str]:
        index = load_index(settings)
        try:
            return {c.text for c in index.all_chunks()}
        finally:
            index.close()
    try:
        before = counting.embedded
        (corpus / "added.txt").write_text("Added\n\nThe fog horn sounded for three days in March.\n", encoding="utf-8")
        until(lambda: "The fog horn sounded for three days in March." in texts())
        assert counting.embedded - before == 1  # the new file's one passage, nothing else

        before = counting.embedded
        (corpus / "added.txt").write_text("Added\n\nThe fog horn sounded for four days in April.\n", encoding="utf-8")
        until(lambda: "The fog horn sounded for four days in April." in texts())
        assert counting.embedded - before == 1

        before = counting.embedded
        (corpus / "n1.txt").rename(corpus / "renamed.txt")
        until(lambda: "renamed.txt" in load_index(settings).manifest.documents)
        assert counting.embedded == before  # moved, not embedded again
        assert "n1.txt" not in load_index(settings).manifest.documents

        (corpus / "n2.txt").unlink()
        until(lambda: not any("light number 2 " in t for t in texts()))
        assert counting.embedded == before
    finally:
        stop.set()
        worker.join(timeout=30)


@pytest.mark.parametrize("stop_after", [60])
def test_a_stopped_ingestion_keeps_what_it_finished_and_the_next_embeds_only_the_rest(tmp_path, embedder, stop_after):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(200):
        (corpus / f"n{i:03d}.txt").write_text(note(i), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    stopping = Counting(embedder, stop_after=stop_after)
    report = build_index(settings, stopping, progress=False)  # Ctrl-C comes while the third batch is embedded
    finished = load_index(settings).manifest.documents
    assert report.pending and len(finished) == stopping.embedded and len(report.pending) == 200 - len(finished)
    assert all(load_index(settings).chunk(e.first_row).doc_id == name for name, e in finished.items())  # consistent
    again = Counting(embedder)
    report = build_index(settings, again, progress=False)
    assert not report.pending and sorted(report.added) == sorted(set(f"n{i:03d}.txt" for i in range(200)) - set(finished))
    assert again.embedded == 200 - len(finished)  # nothing finished was embedded again
    assert len(load_index(settings).manifest.documents) == 200
    assert Chatbot(settings, embedder=embedder).search("ships in winter", k=1, docs=["n199.txt"])[0].chunk.doc_id == "n199.txt"
