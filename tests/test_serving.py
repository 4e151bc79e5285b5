"""Serving, fast tier: our HTTP API through a real HTTP client against uvicorn on loopback (answers from
the real engine with a scripted model; the real model is in test_serving_real.py), and the `openai`
engine's failures against servers that are down, slow, cut off, or not speaking the protocol."""
from __future__ import annotations

import json
import math
import time

import httpx2
import openai
import pytest
from helpers.serving import api_server, free_port, misbehaving_server, sse_chunk

from chatbot.bot import Chatbot
from chatbot.config import REFUSAL, Settings
from chatbot.engines import load_generator
from chatbot.errors import EngineUnavailableError
from chatbot.server import MAX_BODY_BYTES, create_app

ANSWER = "The sciatic nerve is the largest nerve in the body [1]."
QUESTION = "Which nerve is the largest in the human body?"


@pytest.fixture
def api(scripted_bot):
    with api_server(create_app(scripted_bot(ANSWER))) as url:
        yield url


def sse_events(response) -> list[tuple[str, str]]:
    events, name = [], ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, line[6:]))
            name = ""
    return events


# ---- our API
def test_ask_returns_the_same_object_as_ask_json(api):
    reply = httpx2.post(f"{api}/v1/ask", json={"question": QUESTION}, timeout=60)
    assert reply.status_code == 200
    body = reply.json()
    assert body["answer"] == ANSWER and not body["refused"]
    assert body["citations"][0]["n"] == 1 and "sciatic" in body["citations"][0]["text"].lower()
    assert {"question", "standalone_question", "retrieved", "timings", "answerable_probability"} <= set(body)


def test_ask_streams_the_sources_read_then_checked_sentences_then_the_whole_answer(api):
    with httpx2.stream("POST", f"{api}/v1/ask", json={"question": QUESTION, "stream": True}, timeout=60) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = sse_events(reply)
    names = [name for name, _ in events]
    assert names[0] == "sources" and names.count("sources") == 1 and names[-1] == "answer"
    texts = [json.loads(data)["text"] for name, data in events if name == "text"]
    final = json.loads(events[-1][1])
    assert "".join(texts) == final["answer"] == ANSWER
    # What was being read is among what was retrieved, in its order (excerpts leave out a passage with
    # nothing on the question), and the answer's citations come from it.
    read = [(p["rank"], p["doc"]) for p in json.loads(events[0][1])["passages"]]
    retrieved = [(r["rank"], r["doc"]) for r in final["retrieved"]]
    assert read and set(read) <= set(retrieved) and read == sorted(read)
    assert {c["doc"] for c in final["citations"]} <= {doc for _, doc in read}


def test_follow_up_history_is_accepted(api):
    history = [{"role": "user", "content": "What is sciatica?"}, {"role": "assistant", "content": "Nerve pain [1]."}]
    reply = httpx2.post(f"{api}/v1/ask", json={"question": QUESTION, "history": history}, timeout=60)
    assert reply.status_code == 200 and reply.json()["answer"] == ANSWER


def test_the_official_openai_client_gets_the_checked_cited_answer(api):
    client = openai.OpenAI(base_url=f"{api}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(model="default", messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}])
    assert reply.choices[0].message.content == ANSWER
    citations = reply.model_extra["citations"]
    assert citations[0]["n"] == 1 and citations[0]["doc"].endswith(".txt")

    pieces = list(client.chat.completions.create(model="default", messages=[{"role": "user", "content": QUESTION}], stream=True))
    assert "".join(p.choices[0].delta.content or "" for p in pieces if p.choices) == ANSWER
    assert pieces[-1].choices[0].finish_reason == "stop" and pieces[-1].model_extra["citations"]


def test_collection_and_health(api):
    collection = httpx2.get(f"{api}/v1/collection").json()
    assert collection["passages"] > 0 and len(collection["documents"]) == 5
    assert httpx2.get(f"{api}/healthz").json()["status"] == "ok"


def test_openapi_works_offline_and_no_cdn_docs_page(api):
    spec = httpx2.get(f"{api}/openapi.json").json()
    assert {"/v1/ask", "/v1/chat/completions", "/v1/collection", "/healthz"} <= set(spec["paths"])
    assert httpx2.get(f"{api}/docs").status_code == 404


@pytest.mark.parametrize(("send", "status", "says"), [
    ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 422, "not valid JSON"),
    ({"json": {"question": "   "}}, 400, "The question is empty"),
    ({"json": {"question": "x" * 5000}}, 422, "question"),
    ({"json": {"question": QUESTION, "history": [{"role": "robot", "content": "x"}]}}, 422, "history"),
    ({"json": {"question": QUESTION, "colour": "red"}}, 422, "colour"),
    ({"json": {}}, 422, "question"),
])
def test_bad_requests_get_a_4xx_with_a_reason(api, send, status, says):
    reply = httpx2.post(f"{api}/v1/ask", timeout=30, **send)
    assert reply.status_code == status
    assert says in reply.json()["error"]["message"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(api):
    big = json.dumps({"question": QUESTION, "history": [{"role": "user", "content": "x" * MAX_BODY_BYTES}]})
    assert httpx2.post(f"{api}/v1/ask", content=big, headers={"Content-Type": "application/json"}).status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        yield big.encode()
    reply = httpx2.post(f"{api}/v1/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert reply.status_code == 413 and "larger than" in reply.json()["error"]["message"]


def test_chat_completions_needs_a_user_message_last(api):
    reply = httpx2.post(f"{api}/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "hi"}]})
    assert reply.status_code == 400 and "user" in reply.json()["error"]["message"]


def test_a_token_when_set_is_required(scripted_bot):
    with api_server(create_app(scripted_bot(ANSWER), token="s3cret")) as url:
        assert httpx2.get(f"{url}/v1/collection").status_code == 401
        assert httpx2.get(f"{url}/v1/collection", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx2.get(f"{url}/v1/collection", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="s3cret", max_retries=0)
        reply = client.chat.completions.create(model="default", messages=[{"role": "user", "content": QUESTION}])
        assert reply.choices[0].message.content == ANSWER
        assert httpx2.get(f"{url}/healthz").status_code == 200  # a load balancer's probe needs no token


def test_a_model_server_that_is_down_is_a_503_with_the_fix(built_settings, embedder):
    settings = built_settings.replace(engine="openai", openai_base_url=f"http://127.0.0.1:{free_port()}/v1",
                                      openai_model="m", openai_max_retries=0)
    with api_server(create_app(Chatbot(settings, embedder=embedder))) as url:
        reply = httpx2.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60)
        assert reply.status_code == 503 and "make serve-model" in reply.json()["error"]["message"]
        with httpx2.stream("POST", f"{url}/v1/ask", json={"question": QUESTION, "stream": True}, timeout=60) as streamed:
            events = sse_events(streamed)
        assert events[-1][0] == "error" and "cannot be reached" in events[-1][1]
        assert httpx2.get(f"{url}/v1/collection").status_code == 200  # the rest of the API goes on working


# ---- the openai engine's failures
def openai_settings(url: str, **changes) -> Settings:
    return Settings().replace(engine="openai", openai_base_url=url, **changes)


def engine(url: str, **changes):
    settings = openai_settings(url, **changes)
    return load_generator(settings)


def ask_engine(generator) -> str:
    return "".join(generator.stream([{"role": "user", "content": "Say hi."}], max_tokens=8))


def test_server_not_started_is_one_clear_error_quickly():
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(EngineUnavailableError, match="cannot be reached; start it"):
        engine(url)  # finding the model name asks the server
    with pytest.raises(EngineUnavailableError, match="cannot be reached"):
        ask_engine(engine(url, openai_model="m"))
    assert time.monotonic() - started < 15  # bounded retries, no hang


def test_a_server_slower_than_the_time_out_is_an_error_not_a_hang():
    def stall(handler):
        time.sleep(3)
        handler._send(200, b"{}")
    with misbehaving_server(stall) as url:
        started = time.monotonic()
        with pytest.raises(EngineUnavailableError, match="did not answer in time"):
            ask_engine(engine(url, openai_read_timeout_s=0.5, openai_max_retries=1))
        assert time.monotonic() - started < 2.9


@pytest.mark.parametrize("reply", [
    lambda h: h._send(200, b"<html>not an API</html>", "text/html"),
    lambda h: h._send(200, b"data: {broken json\n\n", "text/event-stream"),
    lambda h: h._send(200, b'data: {"choices": "nonsense"}\n\n', "text/event-stream"),
])
def test_a_reply_that_is_not_the_protocol_is_one_clear_error(reply):
    with misbehaving_server(reply) as url, pytest.raises(EngineUnavailableError, match="not the OpenAI chat-completions protocol"):
            ask_engine(engine(url, openai_max_retries=0))


def test_invalid_json_to_the_verdict_is_one_clear_error():
    with misbehaving_server(lambda h: h._send(200, b"{truncated", "application/json")) as url, \
            pytest.raises(EngineUnavailableError, match="not the OpenAI"):
            engine(url, openai_max_retries=0).yes_probability([{"role": "user", "content": "Yes or no?"}])


def test_a_connection_cut_mid_answer_is_one_clear_error():
    def cut(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        body = sse_chunk("The sciatic")
        handler.wfile.write(f"{len(body):x}\r\n".encode() + body + b"\r\n")
        handler.wfile.flush()
        handler.wfile.write(b"ff\r\npartial")  # a chunk announced, then the connection closes
        handler.wfile.flush()
        handler.close_connection = True
    with misbehaving_server(cut) as url:
        pieces = []
        with pytest.raises(EngineUnavailableError, match="stopped answering"):
            for piece in engine(url, openai_max_retries=0).stream([{"role": "user", "content": "hi"}], 20):
                pieces.append(piece)
        assert pieces == ["The sciatic"]


def test_the_api_key_is_sent_but_never_in_settings_or_names(monkeypatch):
    seen = []

    def record(handler):
        seen.append(handler.headers.get("Authorization"))
        handler._send(200, sse_chunk("Hi") + b"data: [DONE]\n\n", "text/event-stream")
    monkeypatch.setenv("CHATBOT_OPENAI_API_KEY", "key-123")
    with misbehaving_server(record) as url:
        generator = engine(url)
        assert ask_engine(generator) == "Hi" and seen == ["Bearer key-123"]
    assert "key-123" not in json.dumps(openai_settings(url).flat()) and "key-123" not in generator.name


def test_refusal_text_is_unchanged_through_the_api(scripted_bot):
    with api_server(create_app(scripted_bot(ANSWER, yes=0.01))) as url:
        body = httpx2.post(f"{url}/v1/ask", json={"question": "Who won the 2018 FIFA World Cup?"}, timeout=60).json()
    assert body["refused"] and body["answer"].startswith(REFUSAL)


def logprobs_reply(alternatives: dict[str, float]) -> bytes:
    top = [{"token": t, "logprob": lp, "bytes": None} for t, lp in alternatives.items()]
    return json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "stand-in", "choices": [{
        "index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": next(iter(alternatives))},
        "logprobs": {"content": [{"token": next(iter(alternatives)), "logprob": 0.0, "bytes": None, "top_logprobs": top}]}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}).encode()


@pytest.mark.parametrize(("alternatives", "expected"), [
    ({"Yes": -0.2, "No": -1.8, "The": -3.0}, 1 / (1 + math.exp(-1.6))),  # a softmax over the yes and no words
    ({"yes": -0.5, "Yes": -1.5, "No": -1.0}, (math.exp(-0.5) + math.exp(-1.5)) / (math.exp(-0.5) + math.exp(-1.5) + math.exp(-1.0))),
    ({"Yes": -0.1, "Maybe": -3.0}, 1 / (1 + math.exp(-2.9))),  # "no" beyond the top: just below the last shown
    ({"No": -0.1, "Maybe": -3.0}, 0.0),  # "yes" beyond the top: never counted up
    ({"The": -0.1, "Sources": -1.0}, 0.0),  # neither: not a yes
])
def test_the_verdict_reads_yes_from_the_servers_top_logprobs(alternatives, expected):
    """The yes/no arithmetic on a server's reply (the real server's agreement with the in-process engine is
    in test_serving_real.py)."""
    with misbehaving_server(lambda h: h._send(200, logprobs_reply(alternatives))) as url:
        assert engine(url).yes_probability([{"role": "user", "content": "Yes or no?"}]) == pytest.approx(expected)
