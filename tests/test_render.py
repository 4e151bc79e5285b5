"""Turning checked answers into text: citation markers, rewrites of follow-ups, safe Markdown, exports."""
import re

import pytest

from chatbot.answer.render import with_markers
from chatbot.answer.rewrite import clean_rewrite, needs_rewrite
from chatbot.answer.types import Answer, Citation, Timings
from chatbot.config import REFUSAL
from chatbot.presentation import answer_markdown, collection_summary, conversation_markdown, escape_markdown, highlighted_passage

HISTORY = [{"role": "user", "content": "What is sciatica?"}, {"role": "assistant", "content": "Nerve pain [1]."}]


@pytest.mark.parametrize("sentence, numbers, expected", [
    ("Knees bend.", [1], "Knees bend [1]."),
    ("Do knees bend?", [2, 3], "Do knees bend [2][3]?"),
    ("Knees bend", [1], "Knees bend [1]."),
])
def test_markers_go_before_the_final_punctuation(sentence, numbers, expected):
    assert with_markers(sentence, numbers) == expected


@pytest.mark.parametrize("question, history, expected", [
    ("How is it treated?", HISTORY, True),
    ("And surgery?", HISTORY, True),
    ("How is sciatica treated by a physiotherapist?", HISTORY, False),
    ("How is it treated?", [], False),
])
def test_only_follow_ups_that_lean_on_the_conversation_are_rewritten(question, history, expected):
    assert needs_rewrite(question, history) is expected


def test_a_rewrite_that_is_not_one_question_falls_back_to_the_last_user_turn():
    assert clean_rewrite('"How is sciatica treated?"\nExtra line', "How is it treated?", HISTORY) == "How is sciatica treated?"
    assert clean_rewrite("", "How is it treated?", HISTORY) == "What is sciatica? How is it treated?"
    assert clean_rewrite(REFUSAL, "How is it treated?", HISTORY) == "What is sciatica? How is it treated?"


def test_markdown_from_documents_or_the_model_is_inert():
    hostile = "[Help](https://evil.example) <script>alert(1)</script> **bold** `code`"
    shown = answer_markdown(hostile + " [1]")
    assert "](" not in shown.replace("\\](", "") and "<script>" not in shown and shown.endswith(":blue-badge[1]")
    assert escape_markdown("a_b*c") == "a\\_b\\*c"


def test_the_supporting_sentence_is_highlighted_in_its_passage():
    passage = "First sentence. The sciatic nerve is long. Last one."
    shown = highlighted_passage(passage, ["The sciatic nerve is long."])
    assert ":orange-background[The sciatic nerve is long\\.]" in shown and shown.startswith("First sentence\\.")


def test_refusals_name_what_the_collection_covers():
    assert collection_summary(["A", "B"]) == "These documents cover: “A”; “B”."
    assert collection_summary([]) == "The collection is empty."


def test_a_conversation_exports_with_its_sources_and_the_collections_note():
    citation = Citation(n=1, doc_id="a.txt", title="Guide", section="Nerves", chunk_id="a.txt:0-9", text="...",
                        evidence=["The sciatic nerve is long."])
    answer = Answer(question="Which nerve is long?", standalone_question="Which nerve is long?", text="The sciatic nerve [1].",
                    refused=False, refusal_reason=None, citations=[citation], retrieved=[], timings=Timings())
    rendered = _rendered_text(conversation_markdown([answer], "Guide: conversation", "Not advice."))
    assert rendered.startswith("Guide: conversation") and "Not advice." in rendered
    assert "You: Which nerve is long?" in rendered and "[1] Guide — Nerves (a.txt)" in rendered and "The sciatic nerve is long." in rendered


def test_the_exported_conversation_has_no_link_from_a_document():
    """Opened in a Markdown renderer (GFM with autolinks), the download is as inert as the chat: no link, image or
    HTML from a document title, passage, answer or question."""
    from markdown_it import MarkdownIt

    hostile = "[Help](https://evil.example) ![x](https://evil.example/p.png) www.evil.example bob@evil.example <b>x</b>"
    citation = Citation(n=1, doc_id="evil<a>.txt", title=f"Guide {hostile}", section="www.sect.example", chunk_id="c",
                        text="...", evidence=[f"The nerve is long. {hostile}"])
    answer = Answer(question=f"Which nerve? {hostile}", standalone_question="q", text=f"The nerve is long {hostile} [1].",
                    refused=False, refusal_reason=None, citations=[citation], retrieved=[], timings=Timings())
    html = MarkdownIt("gfm-like").render(conversation_markdown([answer], f"Title {hostile}", f"Note {hostile}"))
    assert "<a " not in html and "<img" not in html and "<b>" not in html
    assert "www.evil.example" in html.replace("\u2060", "")  # still there to read, as text


def _rendered_text(markdown: str) -> str:
    """What a reader sees of Markdown: rendered, tags stripped, joiners removed."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("gfm-like").render(markdown)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u2060", "").replace("&amp;", "&").strip()


@pytest.mark.parametrize("text", ["www.evil.example", "see https://evil.example/x", "bob@evil.example",
                                  "[Help](https://evil.example)", "javascript:alert(1)", "FTP://evil.example"])
def test_nothing_a_renderer_would_autolink_survives_escaping(text):
    escaped = escape_markdown(text)
    visible = re.sub(r"\\(.)", r"\1", escaped)
    assert visible.replace("\u2060", "") == text  # reads the same
    assert not re.search(r"(?i)\bwww\.|\b(https?|ftp|javascript):|\w@\w", visible)  # but matches no autolink pattern
