"""Chosen sources: a question limited to some documents, by name or by tag, is answered from those only; the filter
comes before the ranking, so k passages come back when k exist among them; a name or tag that matches nothing is
one sentence."""
from __future__ import annotations

import pytest
from helpers import SCIATIC_DOC, ScriptedGenerator, copy_corpus

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.errors import ChatbotError
from chatbot.index.backend import build_index

OTHER_DOC = "002_bff040c40be17c8c.txt"


@pytest.fixture
def tagged_bot(tmp_path, embedder):
    corpus = copy_corpus(tmp_path / "corpus")
    (corpus / "collection.toml").write_text('name = "Test"\n[tags]\n"00[01]_*" = ["nerves"]\n', encoding="utf-8")
    (corpus / "notes.md").write_text("---\ntitle: Clinic notes\ntags: clinic, admin\n---\n\nThe clinic opens at nine.\n",
                                     encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, embedder, progress=False)
    return Chatbot(settings, embedder=embedder, generator=ScriptedGenerator("The clinic opens at nine [1]."))


def test_a_search_limited_to_one_document_returns_k_of_its_passages_even_when_others_rank_higher(tagged_bot):
    everywhere = tagged_bot.search("What can cause sciatica?", k=5)
    assert OTHER_DOC not in {r.chunk.doc_id for r in everywhere}
    limited = tagged_bot.search("What can cause sciatica?", k=5, docs=[OTHER_DOC])
    assert len(limited) == 5 and {r.chunk.doc_id for r in limited} == {OTHER_DOC}


def test_tags_come_from_front_matter_and_collection_toml_patterns(tagged_bot):
    assert tagged_bot.tags() == {"admin": ["notes.md"], "clinic": ["notes.md"],
                                 "nerves": ["000_0dc00437940c37b0.txt", SCIATIC_DOC]}
    assert {r.chunk.doc_id for r in tagged_bot.search("nerve", k=5, tags=["nerves"])} <= {"000_0dc00437940c37b0.txt", SCIATIC_DOC}


def test_the_answer_says_which_sources_it_was_limited_to(tagged_bot):
    answer = tagged_bot.ask("When does the clinic open?", tags=["clinic"])
    assert answer.limited_to == ["notes.md"] and {c.doc_id for c in answer.citations} == {"notes.md"}
    assert tagged_bot.ask("When does the clinic open?").limited_to is None


@pytest.mark.parametrize("docs, tags, words", [
    (["missing.pdf"], None, "There is no document 'missing.pdf' in this collection"),
    (None, ["finance"], "No document has the tag 'finance'; the tags are: admin, clinic, nerves"),
])
def test_a_name_or_tag_that_matches_nothing_is_one_sentence(tagged_bot, docs, tags, words):
    with pytest.raises(ChatbotError) as err:
        tagged_bot.search("nerve", docs=docs, tags=tags)
    assert str(err.value).startswith(words) and "\n" not in str(err.value)


def test_evaluation_asks_a_question_limited_as_its_line_says(tagged_bot, tmp_path):
    import json

    from chatbot.evaluation.runner import run_eval

    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"id": "tag", "question": "When does the clinic open?", "answerable": True, "docs": ["notes.md"], "limit_tags": ["clinic"]},
        {"id": "all", "question": "When does the clinic open?", "answerable": True, "docs": ["notes.md"]},
    ]) + "\n", encoding="utf-8")
    run_eval(questions, tmp_path / "run", tagged_bot.settings, bot=tagged_bot, progress=False)
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "run" / "results.jsonl").read_text().splitlines())}
    assert records["tag"]["limited_to"] == ["notes.md"] and records["all"]["limited_to"] is None
