"""A collection describes itself in collection.toml; without it the wording is generic."""
import pytest

from chatbot.collection import CollectionProfile, load_profile
from chatbot.errors import ChatbotError


def test_the_bundled_collection_names_itself_and_its_examples(built_settings):
    profile = load_profile(built_settings.corpus_dir)
    assert profile.name != CollectionProfile().name and len(profile.examples) >= 3
    assert all(q.endswith("?") for q in profile.examples) and profile.disclaimer and profile.placeholder


def test_a_folder_without_the_file_gets_generic_wording(tmp_path):
    profile = load_profile(tmp_path)
    assert profile == CollectionProfile() and profile.examples == () and "documents" in profile.disclaimer


def test_keys_are_optional(tmp_path):
    (tmp_path / "collection.toml").write_text('name = "Tax notes"\n', encoding="utf-8")
    assert load_profile(tmp_path) == CollectionProfile(name="Tax notes")


@pytest.mark.parametrize("content, words", [
    ('name = "unclosed\n', ["collection.toml", "could not be read"]),
    ('examples = "one question"\n', ["'examples' must be a list"]),
    ('name = 3\n', ["'name' must be text"]),
    ('nmae = "typo"\n', ["unknown key 'nmae'"]),
])
def test_a_bad_file_is_one_clear_error(tmp_path, content, words):
    (tmp_path / "collection.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ChatbotError) as err:
        load_profile(tmp_path)
    assert all(w in str(err.value) for w in words)
