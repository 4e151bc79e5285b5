"""The Streamlit app through streamlit.testing.v1.AppTest, with the real engine (no fakes).

The engine is cached per process (st.cache_resource), so the tests share one load; each AppTest is
one browser session.
"""
import re

import pytest
import streamlit as st
from helpers import PROJECT, SCIATIC_DOC, copy_corpus
from streamlit.testing.v1 import AppTest

from chatbot.config import REFUSAL, Settings
from chatbot.index.backend import build_index
from chatbot.presentation import escape_markdown

TIMEOUT = 600  # a real model on 2 cores: raise the timeout rather than fake the model
pytestmark = pytest.mark.slow


def shown(markdown: str) -> str:
    """What a reader sees of escaped Markdown (AppTest gives the source): escapes and word joiners removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


@pytest.fixture(scope="module")
def app_env(tmp_path_factory, embedder):
    """The app on its own copy of the collection, so uploads never touch the project's corpus/."""
    root = tmp_path_factory.mktemp("app")
    settings = Settings(corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index")
    build_index(settings, embedder, progress=False)
    mp = pytest.MonkeyPatch()
    mp.setenv("CHATBOT_CORPUS_DIR", str(settings.corpus_dir))
    mp.setenv("CHATBOT_INDEX_DIR", str(settings.index_dir))
    mp.setenv("CHATBOT_COLLECTIONS_DIR", str(root / "collections"))
    st.cache_resource.clear()
    yield settings
    st.cache_resource.clear()
    mp.undo()


def new_session() -> AppTest:
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def last_answer(at: AppTest):
    return at.chat_message[-1]


def test_first_visit_shows_the_collections_own_title_examples_and_note(app_env):
    at = new_session()
    labels = [b.label for b in at.button]
    assert len([label for label in labels if label.endswith("?")]) >= 3
    assert "Knee" in at.title[0].value  # from corpus/collection.toml, not from code
    assert any("not medical advice" in c.value for c in at.caption)
    assert any("5 documents" in c.value for c in at.sidebar.caption)


def test_another_collection_folder_is_labelled_from_its_own_file(tmp_path, embedder, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tax.md").write_text("# Filing taxes\n\nThe filing deadline is the last day of April.\n", encoding="utf-8")
    (corpus / "collection.toml").write_text('name = "Household papers"\nexamples = ["When is the filing deadline?"]\n'
                                            'placeholder = "Ask about the papers…"\n', encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, embedder, progress=False)
    monkeypatch.setenv("CHATBOT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("CHATBOT_INDEX_DIR", str(settings.index_dir))
    st.cache_resource.clear()
    at = new_session()
    assert "Household papers" in at.title[0].value and [b.label for b in at.button if b.label.endswith("?")] == ["When is the filing deadline?"]
    assert at.chat_input[0].placeholder == "Ask about the papers…"
    assert not any("medical" in c.value for c in at.caption)  # no wording of the bundled collection leaks
    (corpus / "collection.toml").unlink()
    st.cache_resource.clear()
    at = new_session()
    assert not [b for b in at.button if b.label.endswith("?")] and at.title[0].value == "Ask your documents"
    st.cache_resource.clear()


def test_question_gets_a_cited_answer_with_sources_that_survive_a_rerun(app_env):
    at = ask(new_session(), "Which nerve is the largest in the human body?")
    answer = last_answer(at)
    assert answer.name == "assistant"
    assert "sciatic" in answer.markdown[0].value.lower() and ":blue-badge[1]" in answer.markdown[0].value
    sources = [e for e in answer.expander if e.label.startswith(":blue-badge[1]")]
    assert sources and "Ultimate and Simple Guide" in sources[0].label
    passage = sources[0].markdown[0].value
    assert ":orange-background[The sciatic nerve is the largest in the human body" in passage
    assert any(escape_markdown(SCIATIC_DOC) in c.value for c in sources[0].caption)  # shown as text
    assert any(c.value.startswith("Answered in") and "1 source" in c.value for c in answer.caption)

    at.run()  # a rerun redraws from the session's history: the sources are still under the answer
    assert [e.label for e in last_answer(at).expander] == [e.label for e in answer.expander]


def test_follow_up_uses_the_history(app_env):
    at = ask(new_session(), "What is sciatica?")
    at = ask(at, "How many people recover from it without surgery?")
    assert len(at.chat_message) == 4
    assert "90" in last_answer(at).markdown[0].value


def test_refusal_looks_different_and_says_what_the_collection_covers(app_env):
    at = ask(new_session(), "Who won the 2018 FIFA World Cup?")
    warning = shown(last_answer(at).warning[0].value)
    assert REFUSAL in warning and "These documents cover" in warning and "Ultimate and Simple Guide" in warning
    assert not last_answer(at).expander


def test_example_button_asks_it_and_new_chat_clears(app_env):
    at = new_session()
    example = next(b for b in at.button if b.label.endswith("?"))
    example.click().run()
    assert len(at.chat_message) == 2 and at.chat_message[0].markdown[0].value.startswith(example.label.split()[0])
    next(b for b in at.sidebar.button if b.label == "New chat").click().run()
    assert len(at.chat_message) == 0


def add_documents_uploader(at):
    return next(u for u in at.sidebar.file_uploader if u.label.startswith("PDF, Word"))


def test_upload_adds_a_document_that_answers_questions(app_env):
    at = new_session()
    text = ("Cycling and knees\n\nCycling strengthens the quadriceps, which steadies the knee. "
            "<script>document.title='pwned'</script> Riders should set the saddle height carefully.\n")
    add_documents_uploader(at).upload("cycling-guide.txt", text.encode(), "text/plain").run()
    assert not at.exception
    assert any("cycling-guide.txt" in shown(s.value) and "passages" in s.value for s in at.sidebar.success)
    assert (app_env.corpus_dir / "cycling-guide.txt").exists()
    at = ask(at, "What does cycling strengthen?")
    answer = last_answer(at)
    assert "quadriceps" in answer.markdown[0].value.lower()
    assert any(escape_markdown("cycling-guide.txt") in c.value for e in answer.expander for c in e.caption)


def test_replacing_a_document_indexes_the_new_version_once(app_env):
    """The replace box empties after a replace: the page settles (a box that kept its file replaced it on every rerun)."""
    at = new_session()
    uploader = next(u for u in at.sidebar.file_uploader if u.label.startswith("Replace "))
    doc = shown(uploader.label).split()[1]
    new_version = (app_env.corpus_dir / doc).read_text(encoding="utf-8") + "\nA sentence added in the new version.\n"
    uploader.upload(doc, new_version.encode(), "text/plain").run()
    assert not at.exception
    assert [shown(s.value) for s in at.sidebar.success] == [f"Replaced {doc} with the new version."]
    assert (app_env.corpus_dir / doc).read_text(encoding="utf-8") == new_version


def test_unreadable_upload_gets_one_friendly_message_and_changes_nothing(app_env):
    at = new_session()
    before = sorted(p.name for p in app_env.corpus_dir.iterdir())
    add_documents_uploader(at).upload("notes.txt", b"\xff\xfe\x81 not utf-8", "text/plain").run()
    assert not at.exception
    errors = [shown(e.value) for e in at.sidebar.error]
    assert len(errors) == 1 and "notes.txt" in errors[0] and "UTF-8" in errors[0]
    assert sorted(p.name for p in app_env.corpus_dir.iterdir()) == before


def test_missing_model_is_one_friendly_message(app_env, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.setenv("CHATBOT_GENERATOR_MODEL", "/nowhere/model.gguf")
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT).run()
    assert "/nowhere/model.gguf" in the_one_error(at)
    st.cache_resource.clear()


@pytest.fixture
def served_by(monkeypatch):
    """The app's engine, loaded afresh, on the openai engine at `url` (no retries: failures show at once)."""
    st.cache_resource.clear()

    def use(url: str) -> None:
        monkeypatch.setenv("CHATBOT_ENGINE", "openai")
        monkeypatch.setenv("CHATBOT_OPENAI_BASE_URL", url)
        monkeypatch.setenv("CHATBOT_OPENAI_MAX_RETRIES", "0")
    yield use
    st.cache_resource.clear()


def the_one_error(at: AppTest) -> str:
    assert not at.exception
    assert len(at.error) == 1
    return shown(at.error[0].value)


def test_a_model_server_that_is_down_is_one_friendly_message(app_env, served_by):
    from helpers.serving import free_port
    served_by(f"http://127.0.0.1:{free_port()}/v1")
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT).run()
    assert "cannot be reached" in the_one_error(at)


def test_a_model_server_stopping_between_questions_leaves_the_app_usable(app_env, served_by):
    from helpers.serving import free_port

    from chatbot.model_server import running
    port = free_port()
    served_by(f"http://127.0.0.1:{port}/v1")
    with running(Settings(), port, slots=1):
        at = ask(new_session(), "Which nerve is the largest in the human body?")
        assert "sciatic" in shown(last_answer(at).markdown[0].value).lower()
    at = ask(at, "What happens during a knee replacement?")  # the server is gone now
    assert "cannot be reached" in the_one_error(at)
    at.run()  # the conversation so far is intact; the failed question left nothing behind
    assert len(at.chat_message) == 2 and "sciatic" in shown(at.chat_message[1].markdown[0].value).lower()
