"""The engine's one front door: ask and stream answers, describe the collection, add documents.

The app, the CLI, the evaluation and the API talk to `Chatbot` only; they never reach into the index
or the ingestion. Models load once per instance (the generator on first use, under a lock, so the
first questions of several sessions arriving together still load it once).
"""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from .answer.answerability import AnswerabilityJudge, Verdict, verdict_features
from .answer.check import SupportJudge
from .answer.pipeline import Parts, answer_flow, model_yes, take_verdict
from .answer.reading import Prompt, build_prompt
from .answer.screen import validate_history, validate_question
from .answer.types import Answer, Reading
from .answer.vectors import SentenceVectors
from .collection import CollectionInfo, DocumentInfo, load_profile
from .config import Settings
from .engines import Generator, LazyGenerator, engine_class, load_generator
from .errors import ChatbotError, NoDocumentsError
from .index.backend import BuildReport, SearchIndex, build_index, clear_index, load_index, stale_documents
from .index.embeddings import Embedder, make_embedder
from .index.retrieval import RetrievedChunk, Retriever
from .ingest.documents import SUPPORTED_SUFFIXES, load_document, scan_corpus
from .ingest.uploads import replace_document, save_uploads


class AnswerStream:
    """Iterate for the answer's text, one checked sentence at a time; afterwards `.answer` holds the
    checked Answer. `events()` also gives, before any text, the passages being read (`Reading`)."""

    def __init__(self, events: Iterator[str | Reading | Answer]):
        self._events = events
        self.reading: Reading | None = None
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        return (event for event in self.events() if isinstance(event, str))

    def events(self) -> Iterator[str | Reading]:
        for event in self._events:
            if isinstance(event, Answer):
                self.answer = event
            else:
                if isinstance(event, Reading):
                    self.reading = event
                yield event


@dataclass(frozen=True)
class AddReport:
    """What happened to each uploaded file."""
    added: list[str] = field(default_factory=list)  # saved under these names and indexed
    errors: list[str] = field(default_factory=list)  # one sentence per file that was not added
    build: BuildReport | None = None
    renamed: dict[str, str] = field(default_factory=dict)  # upload name -> saved name, where a document had the name


class Chatbot:
    def __init__(self, settings: Settings | None = None, *, index: SearchIndex | None = None,
                 embedder: Embedder | None = None, generator: Generator | None = None):
        self.settings = settings or Settings.from_env()
        engine_class(self.settings.generation.engine)  # an unknown engine is an error now, not at the first question
        self.embedder = embedder or make_embedder(self.settings)
        self.vectors = SentenceVectors(self.embedder)
        self.judge = SupportJudge(self.vectors, self.settings.answer.citation_min_support)
        # The verdict's weights must fit what the model reads: a mismatch is refused here, before any question.
        self.answerability = (AnswerabilityJudge(self.vectors, self.settings.answer, self.settings.embedding_model)
                              if self.settings.answer.verdict else None)
        self._generator = generator
        self._generator_lock = threading.Lock()
        self._use_index(index or load_index(self.settings))

    @classmethod
    def up_to_date(cls, settings: Settings | None = None) -> Chatbot:
        """A chatbot whose index is first brought up to date with the documents (built when missing)."""
        settings = settings or Settings.from_env()
        embedder = make_embedder(settings)
        try:
            build_index(settings, embedder, progress=False)
        except NoDocumentsError:
            if not settings.corpus_dir.is_dir():
                raise
        return cls(settings, embedder=embedder)  # a collection with no documents yet has an empty index

    @property
    def generator(self) -> Generator:
        if self._generator is None:  # loaded on first use: `search` never needs it
            with self._generator_lock:
                if self._generator is None:
                    self._generator = load_generator(self.settings)
        return self._generator

    # ---- answering
    def ask(self, question: str, history: list[dict] | None = None, k: int | None = None,
            docs: list[str] | None = None, tags: list[str] | None = None) -> Answer:
        stream = self.stream(question, history, k, docs, tags)
        for _ in stream:
            pass
        return stream.answer

    def stream(self, question: str, history: list[dict] | None = None, k: int | None = None,
               docs: list[str] | None = None, tags: list[str] | None = None) -> AnswerStream:
        """`docs` and `tags` limit the answer to those documents (both given: documents that are either)."""
        question = validate_question(question)  # raises before anything streams
        history = validate_history(history)
        chosen = self.documents_for(docs, tags)
        return AnswerStream(answer_flow(self.parts, question, history, k or self.settings.retrieval.top_k, chosen))

    def search(self, query: str, k: int | None = None, docs: list[str] | None = None,
               tags: list[str] | None = None) -> list[RetrievedChunk]:
        return self.retriever.search(validate_question(query), k, self.documents_for(docs, tags))

    def documents_for(self, docs: list[str] | None = None, tags: list[str] | None = None) -> frozenset[str] | None:
        """The documents chosen by name and by tag, checked: one sentence for a name or tag that matches nothing."""
        if not docs and not tags:
            return None
        indexed = self.index.manifest.documents
        unknown = [d for d in docs or [] if d not in indexed]
        if unknown:
            raise ChatbotError(f"There is no document {unknown[0]!r} in this collection; the documents are: "
                               f"{', '.join(sorted(indexed)[:20])}{'…' if len(indexed) > 20 else ''}.")
        chosen = set(docs or [])
        by_tag = self.tags()
        for tag in tags or []:
            if tag not in by_tag:
                raise ChatbotError(f"No document has the tag {tag!r}; the tags are: {', '.join(sorted(by_tag)) or 'none yet'}.")
            chosen |= set(by_tag[tag])
        return frozenset(chosen)

    def tags(self) -> dict[str, list[str]]:
        """Each tag and its documents: their own tags, and those collection.toml's [tags] gives by file pattern."""
        import fnmatch

        patterns = load_profile(self.settings.corpus_dir).tags
        out: dict[str, set[str]] = {}
        for doc_id, entry in self.index.manifest.documents.items():
            for tag in entry.tags:
                out.setdefault(tag, set()).add(doc_id)
            for pattern, tags in patterns.items():
                if fnmatch.fnmatch(doc_id, pattern):
                    for tag in tags:
                        out.setdefault(tag, set()).add(doc_id)
        return {tag: sorted(d) for tag, d in sorted(out.items())}

    def prompt(self, question: str, k: int | None = None) -> Prompt:
        """What the model reads for a standalone question: the engine's own path (answer/reading.py), for the
        verdict's trainer and the benchmarks."""
        question = validate_question(question)
        return build_prompt(question, self.search(question, k), self.settings.answer, self.vectors)

    def verdict(self, prompt: Prompt, ask_model: bool = True) -> Verdict | None:
        """The answerability verdict on a prompt, as the engine takes it (without the model: its P(yes) left out)."""
        if not ask_model:
            return take_verdict(self.parts, prompt, None)
        with self.generator.turn():
            return take_verdict(self.parts, prompt, self.generator)

    def verdict_features(self, prompt: Prompt, ask_model: bool = True) -> dict[str, float]:
        """The verdict's features of a prompt, with no weights needed (the trainer fits them); without the model
        its P(yes) is left out."""
        if not ask_model:
            return {k: v for k, v in verdict_features(prompt, self.vectors, 0.5)[0].items() if k != "llm_yes"}
        with self.generator.turn():
            return verdict_features(prompt, self.vectors, model_yes(prompt, self.generator))[0]

    def shared_generator(self) -> Generator:
        """The language model, to share with other collections: the one given or loaded, else one that loads on first
        use (by whichever collection asks first), never a second copy."""
        with self._generator_lock:
            if self._generator is None:
                self._generator = LazyGenerator(self.settings)
            return self._generator

    def load_model(self) -> None:
        """Load the language model now (or reach its server), so that a missing model shows at start, not at the
        first question."""
        generator = self.generator
        if isinstance(generator, LazyGenerator):  # shared between collections: loads only when first used
            _ = generator.model

    @property
    def busy(self) -> bool:
        """Whether the language model is answering another question now (a local engine answers one at a time)."""
        return self._generator is not None and self._generator.busy

    # ---- the collection
    def collection(self) -> CollectionInfo:
        manifest = self.index.manifest
        return CollectionInfo(
            profile=load_profile(self.settings.corpus_dir),
            documents=[DocumentInfo(doc_id, entry.title, entry.furniture_blocks, entry.furniture_chars, entry.n_chunks, entry.pages,
                                    tuple(entry.tags), entry.indexed_at) for doc_id, entry in manifest.documents.items()],
            n_passages=manifest.n_chunks,
            indexed_at=datetime.fromisoformat(manifest.built_at),
            skipped={name: entry.reason for name, entry in manifest.skipped.items()},
        )

    def documents(self) -> list[DocumentInfo]:
        """Every file of the collection with its status: indexed (passages, pages, tags, when), skipped (and why), or
        not indexed yet (added or changed since the last build)."""
        info = self.collection()
        stale = set(self.stale_documents())
        rows = [dataclasses.replace(d, status="not indexed yet") if d.doc_id in stale else d for d in info.documents]
        rows += [DocumentInfo(name, name, status="skipped", reason=reason) for name, reason in info.skipped.items()]
        known = {d.doc_id for d in rows}
        rows += [DocumentInfo(name, name, status="not indexed yet") for name in stale if name not in known
                 and (self.settings.corpus_dir / name).exists()]
        return sorted(rows, key=lambda d: d.doc_id)

    def delete_document(self, doc_id: str, progress: Callable[[str], None] | None = None) -> BuildReport:
        """The file (and its sidecar) removed from the collection's folder and its passages from the index, at once;
        no other document is touched."""
        path = self._document_path(doc_id)
        path.unlink()
        path.with_name(path.name + ".meta.json").unlink(missing_ok=True)
        return self._rebuilt(progress)

    def replace_document(self, doc_id: str, data: bytes, progress: Callable[[str], None] | None = None) -> BuildReport:
        """A new version of a document, checked like an upload, in place of the old one; only it is indexed again."""
        path = self._document_path(doc_id)
        replace_document(path, data, self.settings.index.max_bytes)
        return self._rebuilt(progress)

    def reindex_document(self, doc_id: str, progress: Callable[[str], None] | None = None) -> BuildReport:
        """A document read, chunked and embedded again although its file is unchanged."""
        self._document_path(doc_id)
        return self._rebuilt(progress, force=frozenset([doc_id]))

    def _document_path(self, doc_id: str):
        path = self.settings.corpus_dir / doc_id
        if "/" in doc_id or doc_id.startswith(".") or not path.is_file():
            names = [p.name for p in scan_corpus(self.settings.corpus_dir)[0]] if self.settings.corpus_dir.is_dir() else []
            raise ChatbotError(f"There is no document {doc_id!r} in this collection; the documents are: "
                               f"{', '.join(names)[:400] or 'none yet'}.")
        return path

    def _rebuilt(self, progress: Callable[[str], None] | None, force: frozenset[str] = frozenset()) -> BuildReport:
        before = list(self.index.manifest.documents)
        try:
            report = build_index(self.settings, self.embedder, progress=False, on_step=progress, force=force)
        except NoDocumentsError:  # the last document is gone: an empty collection
            self.index.close()
            clear_index(self.settings)
            report = BuildReport([], [], before, [], 0, 0.0)
        self.reload_index()
        return report

    def furniture(self, doc_id: str) -> list[str]:
        """The lines of a document left out as page furniture, as they stand in the file (empty if it is gone)."""
        path = self.settings.corpus_dir / doc_id
        if doc_id not in self.index.manifest.documents or not path.is_file():
            return []
        try:
            return load_document(path).furniture
        except ChatbotError:
            return []

    def stale_documents(self) -> list[str]:
        """Documents added, changed or removed since the index was built (cheap: unchanged files are not read)."""
        return stale_documents(self.index, self.settings.corpus_dir)

    def add_documents(self, files: list[tuple[str, bytes]], progress: Callable[[str], None] | None = None) -> AddReport:
        """Check and save each (file name, content), index the collection incrementally, and use the new index.

        A file never replaces a document of the same name: it is saved under a free name (`renamed`).
        `progress` is told, in a few words, what is being done (converting, embedding)."""
        say = progress or (lambda _: None)
        saved = save_uploads(self.settings.corpus_dir, files, self.settings.index.max_bytes, say)
        if not saved.added:
            return AddReport(saved.added, saved.errors)
        report = build_index(self.settings, self.embedder, progress=False, on_step=say)
        self.reload_index()
        return AddReport(saved.added, saved.errors, report, saved.renamed)

    @property
    def document_types(self) -> tuple[str, ...]:
        """The file suffixes that can be added (".pdf", ".docx", ...)."""
        return SUPPORTED_SUFFIXES

    def page_image(self, doc_id: str, page: int | None, sentences: list[str]):
        """The cited page of a PDF as an image with `sentences` highlighted, or None (not a PDF, no such page)."""
        path = self.settings.corpus_dir / doc_id
        if page is None or path.suffix.lower() != ".pdf" or not path.is_file():
            return None
        from .page_images import render_page

        try:
            return render_page(path, page, sentences)
        except (ChatbotError, OSError, IndexError, ValueError):
            return None  # changed or removed since it was indexed: the text is still shown

    def update_index(self, progress: Callable[[str], None] | None = None) -> BuildReport:
        """Bring the index up to date with the collection's folder (what was added, changed, renamed or removed)."""
        return self._rebuilt(progress)

    def reload_index(self) -> None:
        """Pick up a rebuilt index without reloading any model; questions already running finish on the old one."""
        self._use_index(load_index(self.settings))

    def _use_index(self, index: SearchIndex) -> None:
        retriever = Retriever(index, self.embedder, self.settings.retrieval)
        parts = Parts(retriever, lambda: self.generator, self.vectors, self.judge, self.answerability, self.settings.answer,
                      self.settings.generation.max_new_tokens)
        self.index, self.retriever, self.parts = index, retriever, parts
