"""Documents: read .txt/.md files, find their title, headings and the page furniture to ignore.

Nothing is rewritten: a document keeps its exact text and every block is a character span of it,
so a chunk can always be traced back to the original file.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChatbotError

SUPPORTED_SUFFIXES = (".txt", ".md")

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
_MD_HEADING = re.compile(r"^#{1,6}\s+")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "text" or "furniture"
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    doc_id: str  # the file name: the id used in citations, the index and the evaluation
    path: Path
    title: str
    text: str
    sha256: str
    blocks: tuple[Block, ...]

    def heading_text(self, block: Block) -> str:
        return _MD_HEADING.sub("", self.text[block.start:block.end]).strip()


# Editor and office leftovers: never documents.
_TEMPORARY = re.compile(r"^(~\$|\.#|#)|(~|\.tmp|\.swp|\.bak|\.part)$", re.IGNORECASE)


def scan_corpus(corpus_dir: Path, max_bytes: int | None = None) -> tuple[list[Path], dict[str, str]]:
    """The documents to read, and the files skipped without reading them (name -> why, and the fix).

    Hidden and temporary files are passed over silently; a link that leads out of the folder is never
    followed; a file over the size limit is skipped with a reason."""
    if not corpus_dir.is_dir():
        raise ChatbotError(f"The document folder {corpus_dir} does not exist; create it and put .txt or .md files in it.")
    root = corpus_dir.resolve()
    paths, skipped = [], {}
    for p in sorted(corpus_dir.iterdir()):
        if p.name.startswith(".") or _TEMPORARY.search(p.name) or p.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if p.is_symlink() and not p.resolve().is_relative_to(root):
            skipped[p.name] = "is a link to a file outside the document folder; copy the file into the folder instead"
        elif not p.is_file():
            continue
        elif max_bytes is not None and p.stat().st_size > max_bytes:
            skipped[p.name] = too_large(p.stat().st_size, max_bytes)
        else:
            paths.append(p)
    return paths, skipped


def too_large(size: int, max_bytes: int) -> str:
    return f"is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit; split it, or raise CHATBOT_MAX_DOCUMENT_MB"


def read_file(path: Path) -> tuple[bytes, str]:
    """The file's bytes and its text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChatbotError(f"Could not read {path.name} ({exc.strerror}); check the file's permissions or remove it.") from None
    if b"\x00" in data[:8192]:
        raise ChatbotError(f"{path.name} is a binary file, not text; save it as plain text (.txt or .md) or remove it.")
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise ChatbotError(f"{path.name} is not UTF-8 text; save it as UTF-8 (plain .txt or .md) and try again.") from None


def load_document(path: Path) -> Document:
    data, text = read_file(path)
    if not text.strip():
        raise ChatbotError(f"{path.name} is empty; add text to it or remove it from the collection.")
    body_start, meta = _front_matter(text)
    meta.update(_sidecar_metadata(path))
    blocks = _blocks(text, body_start, markdown=path.suffix.lower() == ".md")
    if not any(b.kind == "text" for b in blocks):
        raise ChatbotError(f"{path.name} has no readable paragraphs; check that it is an article in plain text.")
    doc = Document(path.name, path, "", text, hashlib.sha256(data).hexdigest(), tuple(blocks))
    title = str(meta.get("title") or "").strip() or _title_from_blocks(doc) or path.stem
    return Document(doc.doc_id, path, title, text, doc.sha256, doc.blocks)


def load_corpus(corpus_dir: Path) -> list[Document]:
    return [load_document(p) for p in scan_corpus(corpus_dir)[0]]


def save_document(corpus_dir: Path, name: str, data: bytes, max_bytes: int | None = None) -> Path:
    """Check an uploaded file like any document, then write it into the collection atomically."""
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).lstrip(".")
    if Path(safe_name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ChatbotError(f"{name} is not a .txt or .md file; only plain text and Markdown can be added.")
    if max_bytes is not None and len(data) > max_bytes:
        raise ChatbotError(f"{name} {too_large(len(data), max_bytes)}.")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    target = corpus_dir / safe_name
    tmp = corpus_dir / f".upload-{safe_name}"  # hidden: never indexed half-written
    tmp.write_bytes(data)
    try:
        load_document(tmp)  # raises on unreadable text
    except ChatbotError as exc:
        tmp.unlink(missing_ok=True)
        raise ChatbotError(str(exc).replace(tmp.name, name)) from None
    tmp.replace(target)
    return target


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


def _sidecar_metadata(path: Path) -> dict:
    """`<file name>.meta.json`, e.g. {"title": "..."}: lets a user set a title without editing the file."""
    sidecar = path.with_name(path.name + ".meta.json")
    if not sidecar.exists():
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ChatbotError(f"{sidecar.name} is not valid JSON; fix it (e.g. {{\"title\": \"...\"}}) or delete it.") from None
    return meta if isinstance(meta, dict) else {}


def _paragraph_spans(text: str, start: int, markdown: bool) -> list[tuple[int, int]]:
    """Runs of non-blank lines; in Markdown a heading line is a paragraph of its own."""
    spans, para_start, pos, prev_end = [], None, start, start
    for line in text[start:].splitlines(keepends=True):
        line_end = pos + len(line.rstrip("\r\n"))
        stripped = line.strip()
        if not stripped or (markdown and _MD_HEADING.match(stripped)):
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
        return bool(_MD_HEADING.match(para))
    if "\n" in para or len(para) > 90 or len(para.split()) > 14 or _BULLET.match(para):
        return False
    # A web page's first short line is its title even when it is a question.
    return first or not para.endswith((".", "?", "!", ":", ";", ","))


def _title_from_blocks(doc: Document) -> str:
    for block in doc.blocks:
        if block.kind == "heading":
            return doc.heading_text(block)
        if block.kind == "text":
            return ""
    return ""
