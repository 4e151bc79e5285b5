"""Plain text and Markdown: the file's text as it is, paragraphs found by blank lines; in a hard-wrapped text the
breaks inside a sentence are read as the spaces they stand for (one character for one).

Web captures saved as .txt keep their page furniture (navigation, credits, share buttons, cookie banners,
comment boxes): it is marked as such, so it is never indexed, and the text keeps its place in the file.
Furniture is decided line by line on the shape of web chrome: a short line that reads as a button, a credit, a
navigation bar or a link, a line standing alone again and again down the page, a consent banner at the page's edge; never because of a
word inside a paragraph of text (a paragraph about baking cookies, or readers who "subscribe to" a journal, stays).
A Markdown table (a paragraph with a `|---|---|` line under its header) is content, row by row: its short
pipe-separated rows are not navigation bars.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from ...errors import ChatbotError
from .base import TABLE_RULE, WEB_ADDRESS, Block, Converted, contents_as_furniture

SUFFIXES = (".txt", ".md", ".markdown")
_MARKDOWN = (".md", ".markdown")

# A short line of web chrome, matched against the whole line: buttons and labels, credits, related-article links.
_CHROME = re.compile(
    r"""^(skip\ to\ (main\ )?content|fact[\ -]checked(\ by\ .{0,40})?|share(\ this(\ article|\ page|\ post)?)?|print(\ this)?(\ page|\ article)?
      |advertisement|sponsored|menu|home|search|log\ ?in|sign\ ?in|sign\ up|subscribe(\ now)?|back\ to\ top|(accept|reject)(\ all)?(\ cookies)?
      |cookie\ (settings|preferences|policy)|privacy\ policy|terms(\ of\ (use|service)|\ and\ conditions)?|(©|\(c\)\ *\d{4}|copyright\ *(©|\(c\)|\d{4})).*
      |all\ rights\ reserved\.?
      |(photo|image|illustration)(\ credits?)?:.*|(design|photo|photography|image|illustration)\ by\ (?-i:[A-Z@]).*|.*\b(getty\ images|istock|shutterstock)\b.*
      |optimi[sz]ed\ by\ .*|share\ on\ (pinterest|facebook|twitter|x|linkedin|whatsapp).*|(learn|read)\ more(\ about\ .*)?
      |related(\ (articles|posts|stories|reading|links))?(:.*)?
      |tags?:.*|categor(y|ies):.*|posted\ (in|on|by)\ .*|([«‹←]\ *)?(previous|next)(\ (post|article|page|story))?(\ *[»›→]|:\ .*)?|sign\ up\ for\ our\ .*)$""",
    re.IGNORECASE | re.VERBOSE)
# A share button glued to the end of a caption line ("…can be linked.Share on Pinterest").
_TRAILING_BUTTON = re.compile(r"(?<=[.!?])\s*share on (pinterest|facebook|twitter|x|linkedin|whatsapp)$", re.IGNORECASE)
_NAV_SEPARATOR = re.compile(r"\s[|·»•/]\s")
# A consent banner: cookie wording with a choice to make, at the page's top or bottom.
_CONSENT = re.compile(r"\bcookies?\b.*\b(accept|consent|agree|preferences|settings|continu\w+ (to )?(use|brows))|\b(accept|consent|agree)\b.*\bcookies?\b",
                      re.IGNORECASE | re.DOTALL)
SHORT_WORDS, SHORT_CHARS = 14, 120  # a line this short can be chrome; a longer one is text, whatever words it holds
_EDGE_BLOCKS = 3  # paragraphs at each end of a page that a banner may be
# A dateline, alone or with a byline under it ("August 31, 2016\nJane Doe").
_DATELINE = re.compile(r"^(\d{1,2} )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (\d{1,2},? )?\d{4}(\n.{0,40})?$", re.IGNORECASE)
# After a comment box the page has no article left: everything from here on is furniture.
_END_OF_ARTICLE = re.compile(r"^(leave a (comment|reply)|\d* ?comments?|post a comment)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*([-*•–—]|\d+[.)]\s+\S+.*[.!?:]$)")
MD_HEADING = re.compile(r"^#{1,6}\s+")
# A title underlined on the next line ("Parts\n-----"): a Markdown (setext) heading, and the plain-text habit it copies.
UNDERLINE = re.compile(r"\n[ \t]*(={3,}|-{3,})[ \t]*$")
_SENTENCE_END = (".", "!", "?", ":", ";")


def convert(path: Path, data: bytes) -> Converted:
    text = decode_text(path, data)
    body_start, meta = _front_matter(text)
    markdown = path.suffix.lower() in _MARKDOWN
    if markdown:
        text = text[:body_start] + _plain_markdown(text[body_start:])
    text = text[:body_start] + _unwrapped(text[body_start:], markdown)
    blocks = _blocks(text, body_start, markdown=markdown)
    tags = tuple(t.strip() for t in str(meta.get("tags") or "").strip("[]").split(",") if t.strip())
    return Converted(text, contents_as_furniture(text, blocks), str(meta.get("title") or ""), body_start=body_start, tags=tags)


# Markdown's inline marks, read as a reader of the rendered page reads them: an image by its description, a link by its
# words and address ("timetable <https://…>": the form the instruction rules take for a document's own link), emphasis
# without its stars, a quotation without its ">". Code is left as written; so is HTML (a hidden span stays visible as
# markup to the instruction rules). The small model answered "[harbour office]" from the raw marks.
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK_MD = re.compile(r"\[([^\]\n]+)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])|(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
_QUOTE_MARK = re.compile(r"^([ \t]*>)+[ \t]?", re.MULTILINE)
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def _plain_markdown(text: str) -> str:
    """The text with Markdown's inline marks read (see above); line breaks stay where they are."""
    out, in_code = [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
        if in_code or _FENCE.match(line):
            out.append(line)
            continue
        parts = line.split("`")  # odd parts are inline code, left as written
        for i in range(0, len(parts), 2):
            part = _IMAGE.sub(lambda m: m[1], parts[i])
            part = _LINK_MD.sub(lambda m: m[2] if m[1] in (m[2], f"<{m[2]}>") else f"{m[1]} <{m[2]}>", part)
            part = _REFERENCE_LINK.sub(r"\1", part)
            part = _STRONG.sub(r"\2", part)
            parts[i] = _EMPHASIS.sub(lambda m: m[1] or m[2], part)
        out.append(_QUOTE_MARK.sub("", "`".join(parts)))
    return "\n".join(out)


# A line that starts a block of its own, never the rest of the line above: a list's item, a heading, a table's row, a
# quotation, a code fence, a heading's underline, a field ("From: …", "author: staff", "draft = false", a calendar's or
# a contact card's "SUMMARY:…").
_BLOCK_START = re.compile(r"^[ \t]*([-*+•–—][ \t]|\d{1,3}[.)][ \t]|#|\||>|```|~~~|(={3,}|-{3,})[ \t]*$|[A-Z][\w -]{0,24}:\s"
                          r"|[a-z]+[_.-][\w.-]{0,30}:\s|[\w.-]{1,30}[ \t]*=[ \t]|[A-Z][A-Z0-9-]{1,30}[:;])")  # not "checked your account: we…"
_SYMBOLS_END = re.compile(r"(^|\s)[^\w\s]+$")  # a line that ends in a mark of its own ("+++", "---", "***"): a delimiter
_ALIGNED = re.compile(r"\S(\t| {3,})\S")  # columns lined up with spaces or tabs: a table in plain text


def _unwrapped(text: str, markdown: bool) -> str:
    """The text with the line breaks of hard-wrapped paragraphs read as the spaces they stand for (one character for
    one: every offset stays). Cut at every line break, an e-mail or a text file wrapped at 72 columns reached the
    sentence splitter, the instruction rules and the citation checks as half-sentences ("Do not ask a chatbot to
    write an essay, a source" / "commentary…"). A break is a wrap when the next line's first word would not have
    fitted on the line (the width is the longest line that runs on to another) or the next line goes on in lower
    case; only in a wrapped text, and never after a sentence's end or a delimiter ("+++"), before a list item, a
    heading, a field, a table row or a quotation, in code, between columns lined up with spaces, or at Markdown's own
    hard break."""
    lines = text.split("\n")
    inside: list[int] = []  # breaks between two lines of text: candidates for a wrap
    fenced = False
    for i, line in enumerate(lines[:-1]):
        fence = bool(_FENCE.match(line))
        fenced = fenced != fence
        nxt = lines[i + 1]
        if (fence or fenced or not line.strip() or not nxt.strip() or _BLOCK_START.match(nxt) or MD_HEADING.match(line.lstrip())
                or "|" in line or _ALIGNED.search(line.strip()) or _ALIGNED.search(nxt.strip())
                or (markdown and line.rstrip("\r").endswith(("  ", "\\")))):  # Markdown's hard line break
            continue
        inside.append(i)
    width = max((len(lines[i].rstrip()) for i in inside), default=0)
    long_lines = sum(len(lines[i].rstrip()) >= _NEAR_WIDTH * width for i in inside)
    if len(inside) < _WRAPPED_MIN_LINES or long_lines < _WRAPPED_MIN_SHARE * len(inside) or width < _WRAPPED_MIN_WIDTH:
        return text  # not a wrapped text: its breaks are the writer's (a date over a byline, "Best wishes,\nPriya")
    wraps = set()
    for i in inside:
        line, nxt = lines[i].rstrip(), lines[i + 1].lstrip()
        if line.rstrip("\"'”’)").endswith(_SENTENCE_END) or _SYMBOLS_END.search(line):  # a sentence's end, quoted or not
            continue
        full = len(line) + 1 + len(nxt.split()[0]) > width
        if full or (nxt[0].islower() and 2 * len(line) >= width):
            wraps.add(i)
    return "".join(line.replace("\r", " ") + " " if i in wraps else line + "\n" for i, line in enumerate(lines[:-1])) + lines[-1]


# A wrapped text: three lines at least run on to the next, and half of those end near the width it was wrapped at,
# forty characters at least (shorter lines running on are a list's: "Network: ACME-Guest" over "Password: …").
_WRAPPED_MIN_LINES, _WRAPPED_MIN_SHARE, _NEAR_WIDTH, _WRAPPED_MIN_WIDTH = 3, 1 / 2, 3 / 4, 40


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8; else UTF-16 with its byte-order mark (Windows "Unicode" files); else Windows-1252, the encoding of older
    Western European text files, when the result reads as such. Anything else is refused rather than guessed: a wrong
    guess would index gibberish without a word of warning."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decoded(data, "utf-16")
        if text is not None and re.search(r"[ \n]", text):  # real text has spaces or lines; stray bytes after a BOM do not
            return text
    if b"\x00" in data[:8192]:
        raise ChatbotError(f"{path.name} is a binary file, not text; save it as plain text (.txt or .md) or remove it.")
    text = _decoded(data, "utf-8")
    if text is None:
        text = _decoded(data, "cp1252")
        letters = [c for c in text or "" if c.isalpha()]
        if not letters or sum(not c.isascii() for c in letters) > _MOSTLY_ASCII * len(letters):
            raise ChatbotError(f"{path.name} is not UTF-8 text (nor UTF-16 or Western European Windows-1252); "
                               f"save it as UTF-8 (plain .txt or .md) and try again.")
    return text


# Accented letters are a few in a hundred in French, German or Spanish; a text read with the wrong 8-bit code page
# (Cyrillic, Greek) comes out as nothing but accented letters.
_MOSTLY_ASCII = 0.3


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _front_matter(text: str) -> tuple[int, dict]:
    """`---` / `key: value` lines / `---` at the very top: metadata, not content."""
    match = re.match(r"\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|$)", text, re.DOTALL)  # Windows line ends too
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
    paragraphs = _paragraph_spans(text, start, markdown)
    # "Advertisement" down the page: a short line standing alone three times or more. A line repeated inside
    # paragraphs ("Closed" in a timetable, a licence's clause) is content.
    alone = [text[s:e].strip().lower() for s, e in paragraphs if "\n" not in text[s:e].strip()]
    repeated = {line for line in set(alone) if alone.count(line) >= 3 and _short(line)}
    blocks, ended = [], False
    for n, (s, e) in enumerate(paragraphs):
        para = text[s:e].strip()
        near_edge = n < _EDGE_BLOCKS or n >= len(paragraphs) - _EDGE_BLOCKS
        if ended or _DATELINE.match(para) or _END_OF_ARTICLE.match(para) or (near_edge and _banner(para)):
            ended = ended or bool(_END_OF_ARTICLE.match(para))
            blocks.append(Block("furniture", s, e))
            continue
        if _is_table(para):  # a Markdown table: every line a row of content, however short or pipe-separated
            blocks.extend(Block("table", ls, le) for ls, le, _ in _lines(text, s, e, set()))
            continue
        group: list[tuple[int, int]] = []  # consecutive lines of text, kept together as one block
        for ls, le, chrome in [*_lines(text, s, e, set() if "\n" in para else repeated), (e, e, True)]:
            if not chrome:
                group.append((ls, le))
                continue
            if group:
                gs, ge = group[0][0], group[-1][1]
                first = not any(b.kind != "furniture" for b in blocks)
                blocks.append(Block("heading" if _is_heading(text[gs:ge], markdown, first) else "text", gs, ge))
                group = []
            if le > ls:
                blocks.append(Block("furniture", ls, le))
    if not any(b.kind == "text" for b in blocks):  # a note of one short line is text, not a title with nothing under it
        blocks = [Block("text", b.start, b.end) if b.kind == "heading" else b for b in blocks]
    return blocks


def _lines(text: str, start: int, end: int, repeated: set[str]) -> list[tuple[int, int, bool]]:
    """The paragraph's lines as (start, end, is chrome); a share button glued to a line's end is a span of its own."""
    out, pos, previous = [], start, ""
    for raw in text[start:end].splitlines(keepends=True):
        ls = pos + len(raw) - len(raw.lstrip())
        le = pos + len(raw.rstrip())
        pos += len(raw)
        if le <= ls:
            continue
        line = text[ls:le]
        # A hard-wrapped sentence's next line (the one above ends mid-sentence, this one goes on in lower case) is
        # never chrome, whatever its first words.
        continues, previous = bool(previous) and not previous.endswith(_SENTENCE_END) and line[0].islower(), line
        if continues:
            out.append((ls, le, False))
            continue
        button = _TRAILING_BUTTON.search(line)
        if button and button.start() > 0:
            cut = ls + button.start()
            out += [(ls, cut, False), (cut + len(line[button.start():]) - len(line[button.start():].lstrip()), le, True)]
            continue
        out.append((ls, le, _chrome_line(line, repeated)))
    return out


def _chrome_line(line: str, repeated: set[str]) -> bool:
    stripped = line.strip()
    if not _short(stripped):
        return False
    if _CHROME.match(stripped) or stripped.lower() in repeated:
        return True
    words = stripped.split()
    return len(_NAV_SEPARATOR.findall(f" {stripped} ")) >= 2 or (bool(words) and len(WEB_ADDRESS.findall(stripped)) * 2 >= len(words))


def _is_table(para: str) -> bool:
    lines = para.splitlines()
    return any(TABLE_RULE.match(line) for line in lines) and sum("|" in line for line in lines) >= 2


def _banner(para: str) -> bool:
    return len(para.split()) <= 60 and bool(_CONSENT.search(para))


def _short(line: str) -> bool:
    return len(line) <= SHORT_CHARS and len(line.split()) <= SHORT_WORDS


def _is_heading(para: str, markdown: bool, first: bool) -> bool:
    title = UNDERLINE.sub("", para)
    if title != para and "\n" not in title and len(title) <= 90 and len(title.split()) <= 14:
        return True
    if markdown:
        return bool(MD_HEADING.match(para))
    if "\n" in para or len(para) > 90 or len(para.split()) > 14 or _BULLET.match(para):
        return False
    # A web page's first short line is its title even when it is a question.
    return first or not para.endswith((".", "?", "!", ":", ";", ","))


