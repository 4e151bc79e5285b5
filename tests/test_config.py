"""Settings: read from the environment and from code by the same flat names, checked when they load."""
import pytest

from chatbot.config import ChunkingSettings, Engine, Fusion, GenerationSettings, RetrievalSettings, Settings
from chatbot.errors import ChatbotError


def test_environment_values_are_parsed_into_each_stages_group(monkeypatch):
    monkeypatch.setenv("CHATBOT_TOP_K", "7")
    monkeypatch.setenv("CHATBOT_FUSION", "Weighted")
    monkeypatch.setenv("CHATBOT_DENSE_WEIGHT", "0.7")
    monkeypatch.setenv("CHATBOT_CHUNK_TARGET_CHARS", "400")
    monkeypatch.setenv("CHATBOT_CORPUS_DIR", "~/papers")
    s = Settings.from_env()
    assert s.retrieval == RetrievalSettings(top_k=7, fusion=Fusion.WEIGHTED, dense_weight=0.7)
    assert s.chunking == ChunkingSettings(target_chars=400)
    assert s.corpus_dir.is_absolute() and s.corpus_dir.name == "papers"


def test_code_overrides_win_over_the_environment_and_none_means_not_given(monkeypatch):
    monkeypatch.setenv("CHATBOT_TOP_K", "7")
    assert Settings.from_env(top_k=3).retrieval.top_k == 3
    assert Settings.from_env(top_k=None).retrieval.top_k == 7


def test_replace_changes_one_setting_and_keeps_the_rest():
    s = Settings().replace(engine="transformers", max_new_tokens=40)
    assert s.generation == GenerationSettings(engine=Engine.TRANSFORMERS, max_new_tokens=40)
    assert s.retrieval == Settings().retrieval


@pytest.mark.parametrize("name, value, words", [
    ("fusion", "anything", ["CHATBOT_FUSION", "rrf, weighted"]),
    ("engine", "gpt", ["CHATBOT_ENGINE", "llama_cpp"]),
    ("top_k", "0", ["CHATBOT_TOP_K", "1..50"]),
    ("top_k", "five", ["CHATBOT_TOP_K", "int"]),
    ("dense_weight", "1.5", ["CHATBOT_DENSE_WEIGHT", "0.0..1.0"]),
    ("chunk_target_chars", "5", ["CHATBOT_CHUNK_TARGET_CHARS", "20..8000"]),
    ("n_threads", "2.5", ["CHATBOT_N_THREADS"]),
])
def test_a_wrong_value_is_one_clear_error_naming_the_variable(monkeypatch, name, value, words):
    monkeypatch.setenv(f"CHATBOT_{name.upper()}", value)
    with pytest.raises(ChatbotError) as err:
        Settings.from_env()
    assert all(w in str(err.value) for w in words) and "\n" not in str(err.value)


def test_an_unknown_setting_in_code_is_an_error():
    with pytest.raises(ChatbotError, match="Unknown setting 'topk'"):
        Settings().replace(topk=3)


def test_groups_made_directly_in_code_are_checked_too():
    assert GenerationSettings(engine="transformers").engine is Engine.TRANSFORMERS
    with pytest.raises(ChatbotError, match="CHATBOT_ENGINE"):
        GenerationSettings(engine="gpt")
    with pytest.raises(ChatbotError, match="CHATBOT_TOP_K"):
        RetrievalSettings(top_k=-1)


def test_flat_lists_every_setting_as_plain_values():
    flat = Settings().flat()
    assert flat["engine"] == "llama_cpp" and flat["fusion"] == "rrf" and flat["top_k"] == 5
    assert isinstance(flat["corpus_dir"], str) and Settings().replace(**{k: v for k, v in flat.items()}) == Settings()


@pytest.mark.parametrize("raw, value", [("false", False), ("0", False), ("no", False), ("True", True), ("1", True), ("on", True)])
def test_yes_no_values_read_as_people_write_them(raw, value):
    from chatbot.config import _parse_bool

    assert _parse_bool(raw) is value


def test_a_yes_no_value_that_is_neither_is_refused():
    from chatbot.config import _parse_bool

    with pytest.raises(ValueError):
        _parse_bool("maybe")
