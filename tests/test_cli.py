"""The command line, run as a user runs it: real processes, real models, one-sentence errors."""
import json
import os
import re
import signal
import subprocess
import sys

import pytest
from helpers import PROJECT, SCIATIC_DOC


def run_cli(*args, settings=None, env=None, timeout=600, stdin=None):
    full_env = dict(os.environ)
    if settings is not None:
        full_env.update(CHATBOT_CORPUS_DIR=str(settings.corpus_dir), CHATBOT_INDEX_DIR=str(settings.index_dir))
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=PROJECT, env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_sentence_error(result, *words):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.stderr
    for word in words:
        assert word in error_lines[0]


@pytest.mark.slow
def test_ask_json_prints_one_object_other_tools_can_read(built_settings):
    result = run_cli("ask", "Which nerve is the largest in the human body?", "--json", "--k", "4", settings=built_settings)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "sciatic" in data["answer"].lower() and data["refused"] is False
    assert SCIATIC_DOC in [c["doc"] for c in data["citations"]]
    assert len(data["retrieved"]) == 4 and data["timings"]["total_s"] > 0


def test_search_lists_ranked_chunks_with_scores(built_settings):
    result = run_cli("search", "largest nerve in the body", "--k", "3", settings=built_settings)
    assert result.returncode == 0, result.stderr
    ranked = [line for line in result.stdout.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(ranked) == 3 and "dense" in ranked[0] and SCIATIC_DOC in result.stdout


def test_index_reports_an_up_to_date_index(built_settings):
    result = run_cli("index", settings=built_settings)
    assert result.returncode == 0 and "up to date" in result.stdout


def test_empty_question(built_settings):
    assert_one_sentence_error(run_cli("ask", "  ", settings=built_settings), "empty")


@pytest.mark.slow
def test_missing_model_names_the_problem_and_the_fix(built_settings):
    result = run_cli("ask", "What is sciatica?", settings=built_settings, env={"CHATBOT_GENERATOR_MODEL": "/nowhere/model.gguf"})
    assert_one_sentence_error(result, "/nowhere/model.gguf", "CHATBOT_GENERATOR_MODEL")


@pytest.mark.slow
def test_corrupted_model_file_names_the_problem(built_settings, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + os.urandom(4096))
    result = run_cli("ask", "What is sciatica?", settings=built_settings, env={"CHATBOT_GENERATOR_MODEL": str(broken)})
    assert_one_sentence_error(result, "broken.gguf")


def test_index_built_with_other_settings_is_refused(built_settings):
    result = run_cli("search", "sciatica", settings=built_settings, env={"CHATBOT_CHUNK_TARGET_CHARS": "300"})
    assert_one_sentence_error(result, "index --rebuild")


def test_missing_corpus_folder(tmp_path):
    result = run_cli("index", env={"CHATBOT_CORPUS_DIR": str(tmp_path / "nothing"), "CHATBOT_INDEX_DIR": str(tmp_path / "idx")})
    assert_one_sentence_error(result, "does not exist")


def test_unknown_engine(built_settings):
    result = run_cli("ask", "What is sciatica?", settings=built_settings, env={"CHATBOT_ENGINE": "gpt"})
    assert_one_sentence_error(result, "CHATBOT_ENGINE")


@pytest.mark.slow
def test_chat_keeps_the_history_for_follow_ups(built_settings):
    result = run_cli("chat", settings=built_settings, stdin="What is sciatica?\nHow many recover from it without surgery?\n/quit\n")
    assert result.returncode == 0, result.stderr
    answers = re.findall(r"Bot: (.*)", result.stdout)  # the "You: " prompt shares the line when piped
    assert len(answers) == 2 and "sciatic" in answers[0].lower() and "90" in answers[1]


@pytest.mark.slow
def test_eval_and_eval_compare_from_the_command_line(built_settings, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "off", "question": "What is the capital of France?", "answerable": False}) + "\n", encoding="utf-8")
    for out in ("a", "b"):
        result = run_cli("eval", str(questions), "--out", str(tmp_path / out), settings=built_settings)
        assert result.returncode == 0, result.stderr
        assert "refusal_recall | 1.000" in result.stdout and (tmp_path / out / "report.html").exists()
    rerun = run_cli("eval", str(questions), "--out", str(tmp_path / "a"), settings=built_settings)
    assert "already answered" in rerun.stdout
    compared = run_cli("eval-compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert compared.returncode == 0 and "No question changed outcome" in compared.stdout


def test_eval_names_the_bad_line_of_a_question_file(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "a", "question": "q?", "answerable": false}\n{oops\n', encoding="utf-8")
    assert_one_sentence_error(run_cli("eval", str(questions), "--out", str(tmp_path / "out")), "line 2")


def test_search_warns_when_documents_changed_since_indexing(tmp_path, embedder):
    from helpers import copy_corpus

    from chatbot.config import Settings
    from chatbot.index.backend import build_index

    settings = Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    build_index(settings, embedder, progress=False)
    (settings.corpus_dir / "extra.md").write_text("# Extra\n\nWalking helps.\n", encoding="utf-8")
    result = run_cli("search", "walking", settings=settings)
    assert result.returncode == 0 and "extra.md" in result.stderr and "chatbot index" in result.stderr


def test_a_model_server_that_is_down_is_one_sentence(built_settings):
    from helpers.serving import free_port
    result = run_cli("ask", "What is sciatica?", settings=built_settings, timeout=120, env={
        "CHATBOT_ENGINE": "openai", "CHATBOT_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "CHATBOT_OPENAI_MAX_RETRIES": "0"})
    assert_one_sentence_error(result, "cannot be reached", "make serve-model")


def start_cli(*args, settings, env=None) -> subprocess.Popen:
    full_env = {**os.environ, "CHATBOT_CORPUS_DIR": str(settings.corpus_dir), "CHATBOT_INDEX_DIR": str(settings.index_dir),
                **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "chatbot", *args], cwd=PROJECT, env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    return process.returncode, err


def test_serve_answers_http_until_stopped(built_settings):
    """`serve` as a user starts it (the openai engine at a stand-in server, so no model loads here)."""
    import httpx2
    from helpers.serving import free_port, misbehaving_server, sse_chunk

    from chatbot.model_server import wait_until_ready

    def reply(handler):
        handler._send(200, sse_chunk("The sciatic nerve is the largest nerve in the body [1].") + b"data: [DONE]\n\n",
                      "text/event-stream")
    with misbehaving_server(reply) as model_url:
        port = free_port()
        server = start_cli("serve", "--port", str(port), settings=built_settings,
                           env={"CHATBOT_ENGINE": "openai", "CHATBOT_OPENAI_BASE_URL": model_url, "CHATBOT_VERDICT": "false",
                                "CHATBOT_MEANING_MIN_YES": "0"})
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", 60, server, health="/healthz")
            assert httpx2.get(f"http://127.0.0.1:{port}/v1/collection").json()["passages"] > 0
            body = httpx2.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": "Which nerve is the largest?"},
                               timeout=60).json()
            assert body["answer"].startswith("The sciatic nerve") and body["citations"][0]["n"] == 1
        finally:
            code, err = stop(server)
    # uvicorn shuts down gracefully, then re-raises the signal, so the exit status says SIGTERM ended it
    assert code in (0, -signal.SIGTERM) and "Shutting down" in err and "Traceback" not in err


def test_serve_with_its_model_server_down_says_so_at_start(built_settings):
    from helpers.serving import free_port
    result = run_cli("serve", "--port", str(free_port()), settings=built_settings, timeout=120, env={
        "CHATBOT_ENGINE": "openai", "CHATBOT_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "CHATBOT_OPENAI_MAX_RETRIES": "0"})
    assert_one_sentence_error(result, "cannot be reached")


@pytest.mark.slow
def test_serve_model_runs_llama_server_until_sigterm(built_settings):
    import httpx2
    from helpers.serving import free_port

    from chatbot.model_server import wait_until_ready
    port = free_port()
    server = start_cli("serve-model", "--port", str(port), "--slots", "2", settings=built_settings)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", 120, server)
        models = httpx2.get(f"http://127.0.0.1:{port}/v1/models").json()
        assert models["data"][0]["id"]
        props = httpx2.get(f"http://127.0.0.1:{port}/props").json()
        assert props["total_slots"] == 2
    finally:
        code, _ = stop(server)
    assert code == 0


def test_serve_model_on_a_port_in_use_says_so(built_settings):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_cli("serve-model", "--port", str(taken.getsockname()[1]), settings=built_settings, timeout=120)
    assert_one_sentence_error(result, "cannot be used", "MODEL_PORT")
