"""Excerpts: the model reads the sentences that bear on the question, with their neighbours, under a budget
(real embedder and index)."""
from chatbot.answer.excerpt import excerpt_sources
from chatbot.answer.prompt import number_sources
from chatbot.answer.vectors import SentenceVectors
from chatbot.bot import Chatbot

QUESTION = "Which nerve is the largest in the human body?"


def sources_for(built_settings, embedder, question=QUESTION):
    bot = Chatbot(built_settings, embedder=embedder)
    return number_sources(bot.search(question, k=5)), SentenceVectors(embedder)


def test_the_answering_sentence_and_its_neighbours_are_kept_under_the_budget(built_settings, embedder):
    sources, judge = sources_for(built_settings, embedder)
    cut = excerpt_sources(sources, QUESTION, judge, 900)
    text = " ".join(s.text for s in cut)
    assert "The sciatic nerve is the largest in the human body." in text
    assert "And this connection starts with the sciatic nerve." in text  # the sentence before it comes along
    assert sum(len(s.text) for s in cut) <= 900 + 200 < sum(len(s.text) for s in sources)
    assert [s.n for s in cut] == sorted(s.n for s in cut) and {s.n for s in cut} <= {s.n for s in sources}  # numbers kept
    by_chunk = {s.retrieved.chunk.chunk_id: s for s in sources}
    for s in cut:  # a source keeps its passage: citations and the support check read the whole of it
        assert s.evidence_text == by_chunk[s.retrieved.chunk.chunk_id].evidence_text
        for piece in s.text.strip("… ").split(" … "):
            assert piece in s.retrieved.chunk.text


def test_no_budget_means_whole_passages(built_settings, embedder):
    sources, judge = sources_for(built_settings, embedder)
    assert excerpt_sources(sources, QUESTION, judge, 0) == sources
    assert excerpt_sources(sources, QUESTION, judge, 100_000) == sources
