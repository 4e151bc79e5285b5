"""Documents: any supported file read into its exact text, title, structure (blocks) and pages.

The converters (formats/) decide how a file becomes text; this module owns what a document is, which
files of a folder are documents, and adding one. Every block and page is a character span of the
text, so a chunk can always be traced back to its place in the document.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChatbotError
from .formats import CONTENT_KINDS, SUPPORTED_SUFFIXES, Block, Converted, convert, describe_supported
from .formats.plain import MD_HEADING, UNDERLINE
from .instructions import is_instruction, language_of

__all__ = ["Block", "Document", "SUPPORTED_SUFFIXES", "load_document", "load_corpus", "save_document", "scan_corpus"]


@dataclass(frozen=True)
class Document:
    doc_id: str  # the file name: the id used in citations, the index and the evaluation
    path: Path
    title: str
    text: str
    sha256: str
    blocks: tuple[Block, ...]
    pages: tuple[int, ...] = ()  # where each page starts in `text`; empty for formats without pages
    tags: tuple[str, ...] = ()  # from its front matter or its sidecar file (chosen sources: `--tag`)

    def heading_text(self, block: Block) -> str:
        return UNDERLINE.sub("", MD_HEADING.sub("", self.text[block.start:block.end])).strip()

    @property
    def furniture(self) -> list[str]:
        """The lines left out as page furniture (navigation, credits, banners), as they stand in the file."""
        return [self.text[b.start:b.end] for b in self.blocks if b.kind == "furniture"]

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding text[offset], or None when the format has no pages."""
        return max(1, bisect.bisect_right(self.pages, offset)) if self.pages else None


# Editor and office leftovers: never documents.
_TEMPORARY = re.compile(r"^(~\$|\.#|#)|(~|\.tmp|\.swp|\.bak|\.part)$", re.IGNORECASE)
# Files that describe the collection or a document, not documents: passed over without a word.
_COMPANION = re.compile(r"^collection\.toml$|\.meta\.json$", re.IGNORECASE)


def scan_corpus(corpus_dir: Path, max_bytes: int | None = None) -> tuple[list[Path], dict[str, str]]:
    """The documents to read, and the files skipped without reading them (name -> why, and the fix).

    Hidden and temporary files and the collection's own companions are passed over silently; a file of a
    format no converter reads is listed with the formats that can be read; a link that leads out of the folder is never
    followed; a file over the size limit is skipped with a reason."""
    if not corpus_dir.is_dir():
        raise ChatbotError(f"The document folder {corpus_dir} does not exist; create it and put documents ({describe_supported()}) in it.")
    root = corpus_dir.resolve()
    paths, skipped = [], {}
    for p in sorted(corpus_dir.iterdir()):
        if p.name.startswith(".") or _TEMPORARY.search(p.name) or _COMPANION.search(p.name):
            continue
        if p.suffix.lower() not in SUPPORTED_SUFFIXES:
            if p.is_file():
                skipped[p.name] = f"is not a format that can be read; save it as one of {describe_supported()}"
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


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ChatbotError(f"Could not read {path.name} ({exc.strerror}); check the file's permissions or remove it.") from None


def load_document(path: Path) -> Document:
    data = read_bytes(path)
    if not data.strip():
        raise ChatbotError(f"{path.name} is empty; add text to it or remove it from the collection.")
    digest = hashlib.sha256(data).hexdigest()
    converted = _convert_once(path, data, digest)
    if not any(b.kind in CONTENT_KINDS for b in converted.blocks):
        raise ChatbotError(f"{path.name} has no readable paragraphs; check that it holds text, not only images or headings.")
    doc = Document(path.name, path, "", converted.text, digest, converted.blocks, converted.pages)
    sidecar = _sidecar_metadata(path)
    title = str(sidecar.get("title") or "").strip() or converted.title or _title_from_blocks(doc) or path.stem
    tags = [str(t).strip() for t in sidecar.get("tags", []) if str(t).strip()] if isinstance(sidecar.get("tags"), list) else []
    return Document(doc.doc_id, path, screened_title(title, path, language_of(doc.text)), doc.text, doc.sha256, doc.blocks, doc.pages,
                    tuple(dict.fromkeys([*converted.tags, *tags])))


def screened_title(title: str, path: Path, language: str) -> str:
    """The title the model and the reader see: one that reads as an instruction (instructions.py) in its document's
    `language` is replaced by the file's name, and that too when it reads as one."""
    for candidate in (title, path.stem.replace("_", " ")):
        if not is_instruction(candidate, language):
            return candidate
    return "Untitled document"


_RECENT: OrderedDict[tuple[str, str], Converted] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def _convert_once(path: Path, data: bytes, digest: str) -> Converted:
    """Convert, remembering the last few results: an upload is converted to check it, then indexed, and a
    scan's OCR is too slow to do twice."""
    key = (path.suffix.lower(), digest)
    with _RECENT_LOCK:
        if key in _RECENT:
            return _RECENT[key]
    converted = convert(path, data)
    with _RECENT_LOCK:
        _RECENT[key] = converted
        while len(_RECENT) > 8:
            _RECENT.popitem(last=False)
    return converted


def load_corpus(corpus_dir: Path) -> list[Document]:
    return [load_document(p) for p in scan_corpus(corpus_dir)[0]]


def save_document(corpus_dir: Path, name: str, data: bytes, max_bytes: int | None = None) -> Path:
    """Check an uploaded file like any document, then write it into the collection atomically under a name
    no other document has: an upload never replaces a document (a second "notes.pdf" becomes "notes-2.pdf")."""
    safe_name = safe_file_name(name)
    if Path(safe_name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ChatbotError(f"{name} cannot be added: only {describe_supported()} files can be read.")
    if max_bytes is not None and len(data) > max_bytes:
        raise ChatbotError(f"{name} {too_large(len(data), max_bytes)}.")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    tmp = corpus_dir / f".upload-{safe_name}"  # hidden: never indexed half-written
    tmp.write_bytes(data)
    try:
        load_document(tmp)  # raises on a file that cannot be read
    except ChatbotError as exc:
        tmp.unlink(missing_ok=True)
        raise ChatbotError(str(exc).replace(tmp.name, name)) from None
    target = _free_name(corpus_dir, safe_name)
    tmp.replace(target)
    return target


def safe_file_name(name: str) -> str:
    """The name an upload is saved under: letters, digits, ._- only, never hidden."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).lstrip(".") or "document"


def _free_name(folder: Path, name: str) -> Path:
    stem, suffix = Path(name).stem, Path(name).suffix
    target, n = folder / name, 1
    while target.exists() or target.is_symlink():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


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


def _title_from_blocks(doc: Document) -> str:
    for block in doc.blocks:
        if block.kind == "heading":
            return doc.heading_text(block)
        if block.kind == "text":
            return ""
    return ""
