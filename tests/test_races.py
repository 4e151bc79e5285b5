"""Readers racing writers, and processes killed mid-work: nothing half-built is ever seen, nothing finished is lost."""
from __future__ import annotations

import gc
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import PROJECT

import chatbot.bot
from chatbot.bot import Chatbot
from chatbot.index.backend import build_index, load_index
from chatbot.index.reader import current_build, read_segment
from chatbot.index.retrieval import Retriever


def _rebuild_until(stop: threading.Event, bot: Chatbot, embedder, count: list[int]) -> None:
    """Change one document and rebuild, again and again, switching the bot to each new index."""
    extra = bot.settings.corpus_dir / "extra.txt"
    while not stop.is_set():
        extra.write_text(f"Garden tools\n\nA rake number {len(count)} is stored in the shed next to the spade.\n")
        build_index(bot.settings, embedder, progress=False)
        bot.reload_index()
        count.append(1)


class _Litter:
    """Garbage whose collection runs Python code, so the collector switches threads as it does in a busy server."""

    def __del__(self):
        self.gone = [n for n in range(3)]


def test_sessions_reading_index_segments_at_once_never_fail(built_settings):
    """Found by CI: two sessions loading a segment at once failed with CPython 3.11's "AST constructor recursion
    depth mismatch" (numpy parses .npy headers with ast). Frequent collections make the switch likely here."""
    segments = current_build(built_settings.index_dir) / "segments"
    name = sorted(segments.glob("*.vectors.npy"))[0].name.removesuffix(".vectors.npy")
    errors: list[Exception] = []

    def read_for(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                read_segment(segments, name)
            except Exception as exc:  # any failure is what this test counts
                errors.append(exc)
            litter = [_Litter() for _ in range(50)]
            for item in litter:
                item.cycle = item

    threshold = gc.get_threshold()
    gc.set_threshold(10, 1, 1)
    try:
        readers = [threading.Thread(target=read_for, args=(3.0,)) for _ in range(8)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
    finally:
        gc.set_threshold(*threshold)
    assert errors == []


def test_searches_racing_a_rebuilding_index_never_see_it_damaged(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    bot = Chatbot(fresh_settings, embedder=embedder)
    stop, rebuilds = threading.Event(), []
    writer = threading.Thread(target=_rebuild_until, args=(stop, bot, embedder, rebuilds))
    writer.start()
    try:
        def search_many(_):
            # Search until the writer has swapped the index at least twice while we searched: a fixed count of
            # searches could finish before the second rebuild on a fast machine (CI saw one rebuild only).
            results, deadline = [], time.monotonic() + 120
            while (len(results) < 60 or len(rebuilds) < 3) and time.monotonic() < deadline:
                results.append(bot.search("Which nerve is the largest in the human body?", 3)[0].chunk.doc_id)
            return results
        with ThreadPoolExecutor(max_workers=3) as pool:
            found = [doc for result in pool.map(search_many, range(3)) for doc in result]
    finally:
        stop.set()
        writer.join()
    assert len(rebuilds) >= 2 and set(found) == {"001_5504509c8ebd97f0.txt"}
    assert len(list(fresh_settings.index_dir.glob("build-*"))) <= 2  # old builds go once no reader holds them


@pytest.mark.slow
def test_questions_racing_a_rebuild_get_their_own_answers_from_one_loaded_model(fresh_settings, embedder, monkeypatch):
    loads = []
    real_load = chatbot.bot.load_generator

    def counting_load(*args):
        loads.append(threading.current_thread().name)
        time.sleep(0.5)  # widen the window in which a second loader could slip in
        return real_load(*args)

    monkeypatch.setattr(chatbot.bot, "load_generator", counting_load)
    streams = (sys.stdout, sys.stderr, os.fstat(1).st_ino, os.fstat(2).st_ino)
    build_index(fresh_settings, embedder, progress=False)
    bot = Chatbot(fresh_settings, embedder=embedder)
    questions = [("sciatic", "Which nerve is the largest in the human body?"),
                 ("implant", "What happens during a knee replacement?")] * 2
    stop, rebuilds = threading.Event(), []
    writer = threading.Thread(target=_rebuild_until, args=(stop, bot, embedder, rebuilds))
    writer.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda q: bot.ask(q[1]), questions))
    finally:
        stop.set()
        writer.join()
    assert len(loads) == 1 and rebuilds
    for (word, _), answer in zip(questions, answers):
        other = "implant" if word == "sciatic" else "sciatic"
        assert word in answer.text.lower() and other not in answer.text.lower(), answer.text
    assert (sys.stdout, sys.stderr, os.fstat(1).st_ino, os.fstat(2).st_ino) == streams  # nothing left redirected


def _env(settings) -> dict:
    return {**os.environ, "CHATBOT_CORPUS_DIR": str(settings.corpus_dir), "CHATBOT_INDEX_DIR": str(settings.index_dir)}


@pytest.mark.slow
def test_kill_9_during_indexing_keeps_the_previous_index_and_the_next_run_cleans_up(fresh_settings, embedder):
    build_index(fresh_settings, embedder, progress=False)
    before = load_index(fresh_settings)
    before_chunks = [c.text for c in before.all_chunks()]
    before.close()
    for i in range(6):  # enough new text to keep the build busy for a few seconds
        (fresh_settings.corpus_dir / f"new{i}.txt").write_text(
            f"Report {i}\n\n" + " ".join(f"Finding {j} of report {i} concerns joint number {j * i}." for j in range(400)))
    rng = random.Random(0)
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-m", "chatbot", "index"], cwd=PROJECT, env=_env(fresh_settings),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 6.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        index = load_index(fresh_settings)  # the previous build, whole (or the new one, if it finished first)
        chunks = [c.text for c in index.all_chunks()]
        assert chunks == before_chunks or len(chunks) > len(before_chunks)
        assert Retriever(index, embedder, fresh_settings.retrieval).search("Which nerve is the largest?", 3)
        index.close()
    report = build_index(fresh_settings, embedder, progress=False)
    assert not list(fresh_settings.index_dir.glob(".build-*.tmp")) and load_index(fresh_settings).n_chunks == report.n_chunks


@pytest.mark.slow
def test_kill_9_during_eval_loses_no_finished_answer(built_settings, tmp_path):
    questions = tmp_path / "q.jsonl"
    asked = ["Which nerve is the largest in the human body?", "What is sciatica?", "Who won the 2018 FIFA World Cup?"]
    # Labelled unanswerable so that no gold documents are needed: the labels are not what is tested here.
    questions.write_text("".join(json.dumps({"id": f"q{i}", "question": q, "answerable": False}) + "\n"
                                 for i, q in enumerate(asked)))
    out = tmp_path / "run"
    command = [sys.executable, "-m", "chatbot", "eval", str(questions), "--out", str(out)]
    process = subprocess.Popen(command, cwd=PROJECT, env=_env(built_settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results = out / "results.jsonl"
    deadline = time.time() + 600
    while time.time() < deadline and (not results.exists() or len(results.read_text().splitlines()) < 1):
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.2)
    time.sleep(random.Random(1).uniform(0.0, 3.0))  # somewhere inside the second answer
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = [json.loads(line) for line in results.read_text().splitlines()]  # every line is whole
    assert 1 <= len(kept) < len(asked)
    finished = subprocess.run(command, cwd=PROJECT, env=_env(built_settings), capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["id"] for r in lines] == [f"q{i}" for i in range(len(asked))]
    assert [r["answer"] for r in lines[:len(kept)]] == [r["answer"] for r in kept]  # reused, not asked again


def test_a_local_engine_reads_each_questions_verdict_and_answer_back_to_back(built_settings, embedder):
    """Two askers at once on a one-at-a-time engine: another question's prompt between one question's
    verdict and its answer would make the model read that question's sources twice (llama.cpp keeps one
    prompt in its cache). The engine's turn keeps each question's two calls together."""
    from helpers import ScriptedGenerator

    from chatbot.answer.meaning import MEANING_QUESTION
    from chatbot.engines import Serialised

    class OneAtATime(ScriptedGenerator, Serialised):
        def __init__(self):
            ScriptedGenerator.__init__(self, "The sciatic nerve is the largest nerve in the body [1].")
            Serialised.__init__(self)
            self.calls: list[tuple[str, str]] = []

        turn = Serialised.turn

        def yes_probability(self, messages):
            with self._lock:
                kind = "meaning" if MEANING_QUESTION in messages[-1]["content"] else "verdict"
                self.calls.append((kind, messages[-1]["content"][-80:]))
                time.sleep(0.2)  # long enough for the other asker to arrive
                return 0.95

        def stream(self, messages, max_tokens):
            with self._lock:
                self.calls.append(("answer", messages[-1]["content"][-80:]))
                yield from super().stream(messages, max_tokens)

    generator = OneAtATime()
    bot = Chatbot(built_settings, embedder=embedder, generator=generator)
    questions = ["Which nerve is the largest in the human body?", "Which nerve runs down the back of the leg?"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(bot.ask, questions))
    kinds = [kind for kind, _ in generator.calls]
    # The meaning check reads the answer's sentence with the same cached sources: it belongs to the turn too.
    assert kinds == ["verdict", "answer", "meaning"] * 2
    assert generator.calls[0][1] != generator.calls[3][1]  # two questions, each verdict followed by its own answer
    assert not generator.busy
