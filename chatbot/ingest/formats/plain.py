"""Plain text and Markdown: the file's text exactly as it is, paragraphs found by blank lines.

Web captures saved as .txt keep their page furniture (navigation, credits, share buttons, comment
boxes): it is marked as such, so it is never indexed, and the text stays byte-for-byte the file's.
"""
from __future__ import annotations

import re
from pathlib import Path

from ...errors import ChatbotError
from .base import Block, Converted

SUFFIXES = (".txt", ".md")

# Web-capture furniture: navigation, credits, share buttons, banners. Matched against a whole block.
_FURNITURE = re.compile(
    r"""^(skip\ to\ (main\ )?content|fact[\ -]checked|share(\ this)?|print|advertisement|menu)$
      |getty\ images|istock|shutterstock|photograph(y|ed)\ by|image\ credit|photo\ credit|design\ by
      |share\ on\ (pinterest|facebook|twitter)|optimi[sz]ed\ by|all\ rights\ reserved|cookie
      |subscribe\ to|sign\ up\ for\ our|^learn\ more\ about\b|^read\ more\b|^related:""",
    re.IGNORECASE | re.VERBOSE,
)
# A dateline, alone or with a byline under it ("August 31, 2016\nJane Doe").
_DATELINE = re.compile(r"^(\d{1,2} )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (\d{1,2},? )?\d{4}(\n.{0,40})?$", re.IGNORECASE)
# After a comment box the page has no article left: everything from here on is furniture.
_END_OF_ARTICLE = re.compile(r"^(leave a (comment|reply)|\d* ?comments?|post a comment)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*([-*•–—]|\d+[.)]\s+\S+.*[.!?:]$)")
MD_HEADING = re.compile(r"^#{1,6}\s+")




def convert(path: Path, data: bytes) -> Converted:
    if b"\x00" in data[:8192]:
        raise ChatbotError(f"{path.name} is a binary file, not text; save it as plain text (.txt or .md) or remove it.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ChatbotError(f"{path.name} is not UTF-8 text; save it as UTF-8 (plain .txt or .md) and try again.") from None
    body_start, meta = _front_matter(text)
    blocks = _blocks(text, body_start, markdown=path.suffix.lower() == ".md")
    return Converted(text, tuple(blocks), str(meta.get("title") or ""), body_start=body_start)


def _front_matter(text: str) -> tuple[int, dict]:
    """`---` / `key: value` lines / `---` at the very top: metadata, not content."""
    match = re.match(r"\ufeff?---[ \t]*\n(.*?)\n---[ \t]*(\n|$)", text, re.DOTALL)
    if not match:
        return 0, {}
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return match.end(), meta


def _paragraph_spans(text: str, start: int, markdown: bool) -> list[tuple[int, int]]:
    """Runs of non-blank lines; in Markdown a heading line is a paragraph of its own."""
    spans, para_start, pos, prev_end = [], None, start, start
    for line in text[start:].splitlines(keepends=True):
        line_end = pos + len(line.rstrip("\r\n"))
        stripped = line.strip()
        if not stripped or (markdown and MD_HEADING.match(stripped)):
            if para_start is not None:
                spans.append((para_start, prev_end))
                para_start = None
            if stripped:
                spans.append((pos + len(line) - len(line.lstrip()), line_end))
        else:
            if para_start is None:
                para_start = pos + len(line) - len(line.lstrip())
            prev_end = line_end
        pos += len(line)
    if para_start is not None:
        spans.append((para_start, prev_end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _blocks(text: str, start: int, markdown: bool) -> list[Block]:
    blocks, ended = [], False
    for s, e in _paragraph_spans(text, start, markdown):
        para = text[s:e].strip()
        if ended or _FURNITURE.search(para) or _DATELINE.match(para) or _END_OF_ARTICLE.match(para):
            ended = ended or bool(_END_OF_ARTICLE.match(para))
            kind = "furniture"
        elif _is_heading(para, markdown, first=not any(b.kind != "furniture" for b in blocks)):
            kind = "heading"
        else:
            kind = "text"
        blocks.append(Block(kind, s, e))
    return blocks


def _is_heading(para: str, markdown: bool, first: bool) -> bool:
    if markdown:
        return bool(MD_HEADING.match(para))
    if "\n" in para or len(para) > 90 or len(para.split()) > 14 or _BULLET.match(para):
        return False
    # A web page's first short line is its title even when it is a question.
    return first or not para.endswith((".", "?", "!", ":", ";", ","))


