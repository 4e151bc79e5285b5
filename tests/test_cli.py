"""The command line, run as a user runs it: real processes, real models, one-sentence errors."""
import json
import os
import subprocess
import sys


from conftest import PROJECT, SCIATIC_DOC


def run_cli(*args, settings=None, env=None, timeout=600):
    full_env = dict(os.environ)
    if settings is not None:
        full_env.update(CHATBOT_CORPUS_DIR=str(settings.corpus_dir), CHATBOT_INDEX_DIR=str(settings.index_dir))
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=PROJECT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_sentence_error(result, *words):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.stderr
    for word in words:
        assert word in error_lines[0]


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


def test_missing_model_names_the_problem_and_the_fix(built_settings):
    result = run_cli("ask", "What is sciatica?", settings=built_settings, env={"CHATBOT_GENERATOR_MODEL": "/nowhere/model.gguf"})
    assert_one_sentence_error(result, "/nowhere/model.gguf", "CHATBOT_GENERATOR_MODEL")


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
