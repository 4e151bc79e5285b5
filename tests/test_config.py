"""Settings: read from the environment and from code by the same flat names, checked when they load."""
import pytest

from chatbot.config import RENAMED, ChunkingSettings, Fusion, GenerationSettings, RetrievalSettings, Settings
from chatbot.errors import ChatbotError


def test_environment_values_are_parsed_into_each_stages_group(monkeypatch):
    monkeypatch.setenv("CHATBOT_TOP_K", "7")
    monkeypatch.setenv("CHATBOT_FUSION", "Weighted")
    monkeypatch.setenv("CHATBOT_DENSE_WEIGHT", "0.7")
    monkeypatch.setenv("CHATBOT_CHUNK_TARGET_CHARS", "400")
    monkeypatch.setenv("CHATBOT_CORPUS_DIR", "~/papers")
    monkeypatch.setenv("CHATBOT_VERDICT", "off")
    s = Settings.from_env()
    assert s.retrieval == RetrievalSettings(top_k=7, fusion=Fusion.WEIGHTED, dense_weight=0.7)
    assert s.chunking == ChunkingSettings(chunk_target_chars=400)
    assert s.corpus_dir.is_absolute() and s.corpus_dir.name == "papers"
    assert s.answer.verdict is False


def test_code_overrides_win_over_the_environment_and_none_means_not_given(monkeypatch):
    monkeypatch.setenv("CHATBOT_TOP_K", "7")
    assert Settings.from_env(top_k=3).retrieval.top_k == 3
    assert Settings.from_env(top_k=None).retrieval.top_k == 7


def test_replace_changes_one_setting_and_keeps_the_rest_whatever_the_environment(monkeypatch):
    s = Settings().replace(engine="transformers", max_new_tokens=40)
    assert s.generation == GenerationSettings(engine="transformers", max_new_tokens=40)
    monkeypatch.setenv("CHATBOT_TOP_K", "9")
    assert s.replace(max_new_tokens=50).retrieval == Settings(top_k=5).retrieval


@pytest.mark.parametrize("name, value, words", [
    ("fusion", "anything", ["CHATBOT_FUSION", "rrf, weighted"]),
    ("top_k", "0", ["CHATBOT_TOP_K", "1..50"]),
    ("top_k", "five", ["CHATBOT_TOP_K", "int"]),
    ("dense_weight", "1.5", ["CHATBOT_DENSE_WEIGHT", "0.0..1.0"]),
    ("chunk_target_chars", "5", ["CHATBOT_CHUNK_TARGET_CHARS", "20..8000"]),
    ("n_threads", "2.5", ["CHATBOT_N_THREADS"]),
    ("verdict", "maybe", ["CHATBOT_VERDICT", "yes/no"]),
])
def test_a_wrong_value_is_one_clear_error_naming_the_variable(monkeypatch, name, value, words):
    monkeypatch.setenv(f"CHATBOT_{name.upper()}", value)
    with pytest.raises(ChatbotError) as err:
        Settings.from_env()
    assert all(w in str(err.value) for w in words) and "\n" not in str(err.value)


def test_an_unknown_engine_is_one_sentence_from_the_engine_registry(built_settings, embedder):
    from chatbot.bot import Chatbot

    with pytest.raises(ChatbotError, match=r"CHATBOT_ENGINE is 'gpt', which is not one of: llama_cpp, transformers, openai"):
        Chatbot(built_settings.replace(engine="gpt"), embedder=embedder)


def test_an_unknown_setting_in_code_is_an_error():
    with pytest.raises(ChatbotError, match="Unknown setting 'topk'"):
        Settings().replace(topk=3)


@pytest.mark.parametrize("old, new", RENAMED.items())
def test_a_renamed_setting_is_refused_with_its_new_name(monkeypatch, old, new):
    monkeypatch.setenv(f"CHATBOT_{old.upper()}", "0.5")
    with pytest.raises(ChatbotError, match=f"is now called {new} \\(CHATBOT_{new.upper()}\\)"):
        Settings.from_env()


def test_groups_made_directly_in_code_are_checked_too():
    with pytest.raises(ChatbotError, match="CHATBOT_TOP_K"):
        RetrievalSettings(top_k=-1)


def test_flat_lists_every_setting_as_plain_values():
    flat = Settings().flat()
    assert flat["engine"] == "llama_cpp" and flat["fusion"] == "rrf" and flat["top_k"] == 5
    assert isinstance(flat["corpus_dir"], str) and Settings().replace(**flat) == Settings()


def test_every_setting_is_on_the_generated_configuration_page():
    """docs/configuration.md is generated from the settings code (`make docs`): a setting missing there fails here."""
    from pathlib import Path

    from chatbot.settings_doc import configuration_markdown

    page = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == configuration_markdown(), "docs/configuration.md is stale: run `make docs`"
    for name in Settings.model_fields:
        assert f"`CHATBOT_{name.upper()}`" in page
