"""Turning answers into text a person reads: safe Markdown, highlighted evidence, a conversation export.

Document and model text is always escaped before it reaches Markdown: HTML or script inside a
document is shown as text, never run, and no document text needs `unsafe_allow_html`.
"""
from __future__ import annotations

import re
from datetime import datetime

from .answer.types import Answer, Reading

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")
_CITATION = re.compile(r"\[(\d+)\]")


# What a Markdown renderer turns into a link by itself, escaped or not (GFM "autolink literals"):
# www., a scheme followed by :// and e-mail addresses. An invisible word joiner (U+2060) inside each
# breaks the pattern and leaves the text looking the same.
_AUTOLINK = re.compile(r"(?i)\b(www)(?=\.)|\b(https?|ftp|mailto|file|javascript|data)(?=:)|(?<=\w)(@)(?=\w)")
_JOINER = "\u2060"
_INDENT = re.compile(r"[ \t]{2,}|\t")


def escape_markdown(text: str) -> str:
    """Text from a document or the model, shown as text: no markup, no link, no image, no autolink."""
    text = _AUTOLINK.sub(lambda m: m.group(0) + _JOINER if m.group(3) is None else _JOINER + m.group(0), text)
    text = _INDENT.sub(" ", text)  # four spaces or a tab at a line's start would make a code block
    return _MD_SPECIAL.sub(r"\\\1", text)


def answer_markdown(text: str) -> str:
    """The answer, escaped, with each [n] shown as a badge that matches its entry under Sources."""
    parts, pos = [], 0
    for match in _CITATION.finditer(text):
        parts.append(escape_markdown(text[pos:match.start()]))
        parts.append(f":blue-badge[{match.group(1)}]")
        pos = match.end()
    parts.append(escape_markdown(text[pos:]))
    return "".join(parts)


def highlighted_passage(passage: str, evidence: list[str], flagged: list[str] = ()) -> str:
    """The passage as Markdown with the supporting sentence(s) highlighted and instruction-like ones marked."""
    marks = {"evidence": "**:orange-background[{}]**", "flagged": ":red-background[⚠ {}]"}
    spans = sorted([(i, i + len(e), "evidence") for e in evidence if e and (i := passage.find(e)) >= 0]
                   + [(i, i + len(f), "flagged") for f in flagged if f and (i := passage.find(f)) >= 0])
    out, pos = [], 0
    for start, end, kind in spans:
        if start < pos:
            continue
        out.append(escape_markdown(passage[pos:start]))
        out.append(marks[kind].format(escape_markdown(passage[start:end])))
        pos = end
    out.append(escape_markdown(passage[pos:]))
    return "".join(out).replace("\n", "  \n")


def source_label(title: str, section: str, page: int | None = None, doc_id: str = "") -> str:
    """"Title — Section · p. 12": the section only when the passage sits under a heading of its own, the page
    only where the format has pages; a presentation's pages are its slides ("· slide 3")."""
    label = title if not section or section == title else f"{title} — {section}"
    unit = "slide " if doc_id.lower().endswith(".pptx") else "p. "
    return f"{label} · {unit}{page}" if page else label


def collection_summary(titles: list[str]) -> str:
    """One line on what the collection covers, for refusals: built from the documents, not hard-coded."""
    if not titles:
        return "The collection is empty."
    return "These documents cover: " + "; ".join(f"“{t}”" for t in titles) + "."


def reading_label(reading: Reading) -> str:
    """One line while the model reads: which documents (and sections) it is reading, in retrieval order."""
    labels = list(dict.fromkeys(source_label(r.chunk.title, r.chunk.section, r.chunk.page, r.chunk.doc_id) for r in reading.passages))
    n = len(reading.passages)
    return f"Reading {n} passage{'s' if n != 1 else ''}: " + "; ".join(labels)


def conversation_markdown(answers: list[Answer], title: str, note: str) -> str:
    """The chat as Markdown, each answer followed by its cited sources. Everything from a document, the model or a
    person is escaped as in the chat, so a link that is inert there is inert in the downloaded file too."""
    e = escape_markdown
    lines = [f"# {e(title)}", "", f"_Exported {datetime.now():%Y-%m-%d %H:%M}. {e(note)}_", ""]
    for answer in answers:
        lines += [f"**You:** {e(answer.question)}", "", f"**Answer:** {e(answer.text)}", ""]
        for c in answer.citations:
            lines.append(f"- \\[{c.n}\\] {e(source_label(c.title, c.section, c.page, c.doc_id))} ({e(c.doc_id)})")
            lines.extend(f"  > {e(' '.join(evidence.split()))}" for evidence in c.evidence)
        lines.append("")
    return "\n".join(lines)
