"""Serving with the real model: the openai engine against a real llama.cpp llama-server (built by
`make`, started on a free loopback port), compared with the in-process engine; our API in front of it."""
from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import openai
import pytest
from helpers import PROJECT
from helpers.serving import api_server, free_port

from chatbot.bot import Chatbot
from chatbot.engines import Sampling
from chatbot.errors import EngineUnavailableError
from chatbot.model_server import command, running, wait_until_ready
from chatbot.server import create_app

pytestmark = pytest.mark.slow


def openai_bot(built_settings, embedder, url: str) -> Chatbot:
    return Chatbot(built_settings.replace(engine="openai", openai_base_url=url), embedder=embedder)


def outcome(answer) -> tuple[bool, frozenset]:
    """What a reader notices first: refused or not, and which documents are cited."""
    return answer.refused, frozenset(c.doc_id for c in answer.citations)


def test_both_engines_agree_on_the_development_questions(bot, built_settings, embedder, model_server):
    """Greedy decoding batched on the server may drift a little from the in-process engine: the two must
    still agree on refusal and cited documents for at least 90 % of a fixed eighth of the development set
    (the whole set agreed on 81 of 83, docs/results/2026-11-30-serving.md; an eighth keeps the suite short).
    The server answers four at a time (parallel slots); no answer may be mixed up with another's."""
    rows = [json.loads(line) for line in (PROJECT / "eval" / "questions.jsonl").read_text().splitlines() if line.strip()]
    questions = [row["question"] for row in rows[::8]]
    served = openai_bot(built_settings, embedder, model_server)
    with ThreadPoolExecutor(max_workers=4) as pool:
        remote = list(pool.map(served.ask, questions))
    local = [bot.ask(q) for q in questions]
    assert [a.question for a in remote] == questions
    agree = sum(outcome(a) == outcome(b) for a, b in zip(local, remote))
    assert agree >= 0.9 * len(questions), f"{agree} of {len(questions)} agree"


def test_the_verdict_reads_the_same_probability_through_the_server(generator, openai_generator):
    """P(yes) from the server's top log-probabilities matches the in-process engine's own logits."""
    system = {"role": "system", "content": "Answer yes or no."}
    for question in ("When does the library open?", "Who founded the library?"):
        user = {"role": "user", "content": "Sources:\n[1] The library opens at nine and closes at five.\n\n"
                                           f"Question: {question}\nDo the sources state the answer? Reply yes or no."}
        local, served = generator.yes_probability([system, user]), openai_generator.yes_probability([system, user])
        assert abs(local - served) < 0.1, (question, local, served)


@pytest.mark.parametrize("engine", ["generator", "openai_generator"])
def test_a_seeded_sample_repeats_and_the_default_stays_greedy(engine, request):
    """Experiments that compare several sampled answers (benchmarks/bench_agreement.py) must be repeatable, and
    sampling must never leak into the answer a reader gets."""
    model = request.getfixturevalue(engine)
    messages = [{"role": "user", "content": "Write one sentence about rivers."}]
    read = lambda *sampling: "".join(model.stream(messages, 16, *sampling))
    greedy = read()
    assert read(Sampling(temperature=0.0, seed=123)) == greedy  # the default is greedy: no seed changes it
    samples = [read(Sampling(1.5, 0.95, seed)) for seed in (1, 2, 3)]
    assert read(Sampling(1.5, 0.95, 2)) == samples[1]
    assert any(sample != greedy for sample in samples)


def test_sessions_run_side_by_side_on_the_server(built_settings, embedder, model_server):
    """No lock of ours: two questions asked together overlap in time on the server."""
    served = openai_bot(built_settings, embedder, model_server)
    assert not served.generator.busy
    questions = ["Which nerve is the largest in the human body?", "What happens during a knee replacement?"]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(served.ask, questions))
    wall = time.perf_counter() - started
    assert "sciatic" in answers[0].text.lower() and "sciatic" not in answers[1].text.lower()
    assert wall < 0.9 * sum(a.timings.total_s for a in answers)  # they ran at the same time, not one after the other


def test_a_model_server_killed_mid_answer_is_a_clear_error_and_the_bot_recovers(built_settings, embedder):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = built_settings.replace(engine="openai", openai_base_url=f"{url}/v1", openai_max_retries=0)
    server = subprocess.Popen(command(settings, port, slots=1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_ready(url, 120, server)
        served = Chatbot(settings, embedder=embedder)
        stream = served.generator.stream([{"role": "user", "content": "Count from one to two hundred in words."}], 400)
        pieces = iter(stream)
        assert next(pieces)
        server.kill()
        with pytest.raises(EngineUnavailableError, match="stopped answering"):
            for _ in pieces:
                pass
        with pytest.raises(EngineUnavailableError, match="cannot be reached"):
            served.ask("Which nerve is the largest in the human body?")
    finally:
        server.kill()
        server.wait()
    with running(settings, port, slots=1):  # the server is back: the same chatbot answers again
        answer = served.ask("Which nerve is the largest in the human body?")
        assert not answer.refused and "sciatic" in answer.text.lower()


def test_our_api_in_front_of_the_model_server_serves_openai_clients(built_settings, embedder, model_server):
    with api_server(create_app(openai_bot(built_settings, embedder, model_server))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)
        reply = client.chat.completions.create(model="default", messages=[
            {"role": "user", "content": "Which nerve is the largest in the human body?"}])
        assert "sciatic" in reply.choices[0].message.content.lower() and "[1]" in reply.choices[0].message.content
        assert reply.model_extra["citations"][0]["doc"] == "001_5504509c8ebd97f0.txt"
        with httpx2.stream("POST", f"{url}/v1/ask", json={"question": "What is the weather on Mars today?",
                                                          "stream": True}, timeout=300) as streamed:
            lines = [line for line in streamed.iter_lines() if line.startswith("data: ")]
        assert json.loads(lines[-1][6:])["refused"]
