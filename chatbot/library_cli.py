"""`python -m chatbot collections …` and `documents …`: managing collections and their documents."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from .config import Settings
from .errors import ChatbotError


def add_library_commands(sub, collection_option: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("collections", help="list, create, rename or delete collections")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every collection, with its documents and passages").set_defaults(run=_list)
    q = actions.add_parser("create", help="a new, empty collection (a folder under collections_dir)")
    q.add_argument("name")
    q.add_argument("--title", default="", help="the name people see (collection.toml)")
    q.add_argument("--description", default="")
    q.set_defaults(run=_create)
    q = actions.add_parser("rename", help="a collection's folder name")
    q.add_argument("old")
    q.add_argument("new")
    q.set_defaults(run=_rename)
    q = actions.add_parser("delete", help="a collection, with its documents and its index")
    q.add_argument("name")
    q.add_argument("--yes", action="store_true", help="yes, its documents too")
    q.set_defaults(run=_delete)

    p = sub.add_parser("documents", help="list, add, delete, replace or re-index a collection's documents")
    actions = p.add_subparsers(dest="action", required=True)
    files, file, doc = ("files", {"nargs": "+", "type": Path}), ("file", {"type": Path}), ("doc", {})
    for name, help_text, arguments, run in [
        ("list", "each file with its status: indexed (passages, pages, tags, when), skipped, pending", [], _documents),
        ("add", "copy files into the collection (checked; a name in use gets a free one) and index them", [files], _add),
        ("delete", "remove a document: its file and, at once, its passages", [doc], _delete_document),
        ("replace", "a new version of a document, from a file", [doc, file], _replace),
        ("reindex", "read, chunk and embed one document again", [doc], _reindex),
    ]:
        q = actions.add_parser(name, help=help_text)
        for argument, options in arguments:
            q.add_argument(argument, **options)
        collection_option(q)
        q.set_defaults(run=run)


def _library(settings: Settings):
    from .library import Library

    return Library(settings)


def _list(args, settings: Settings) -> int:
    library = _library(settings)
    for name in library.names():
        try:
            info = library.bot(name).collection()
            print(f"{name}: {info.profile.name} · {len(info.documents)} documents · {info.n_passages} passages")
        except ChatbotError as exc:
            print(f"{name}: {exc}")
    return 0


def _create(args, settings: Settings) -> int:
    created = _library(settings).create(args.name, args.title, args.description)
    print(f"Created {args.name!r} in {created.corpus_dir}: add documents with `python -m chatbot documents add FILE… "
          f"--collection {args.name}`.")
    return 0


def _rename(args, settings: Settings) -> int:
    _library(settings).rename(args.old, args.new)
    print(f"Renamed {args.old!r} to {args.new!r}.")
    return 0


def _delete(args, settings: Settings) -> int:
    if not args.yes:
        raise ChatbotError(f"Deleting {args.name!r} removes its documents and its index; add --yes to do it.")
    _library(settings).delete(args.name)
    print(f"Deleted {args.name!r}.")
    return 0


def _bot(settings: Settings):
    from .bot import Chatbot

    return Chatbot.up_to_date(settings)


def _documents(args, settings: Settings) -> int:
    for d in _bot(settings).documents():
        detail = (f"{d.passages} passages" + (f", {d.pages} pages" if d.pages else "") + (f", tags {', '.join(d.tags)}" if d.tags else "")
                  + (f", indexed {d.indexed_at}" if d.indexed_at else "")) if d.status == "indexed" else d.reason
        print(f"{d.doc_id}  [{d.status}]  {detail}")
    return 0


def _add(args, settings: Settings) -> int:
    files = []
    for path in args.files:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise ChatbotError(f"Could not read {path} ({exc.strerror}); check the path.") from None
    report = _bot(settings).add_documents(files, progress=print)
    for error in report.errors:
        print(f"Not added: {error}")
    for old, new in report.renamed.items():
        print(f"A document named {old} is in the collection already: added as {new}.")
    if report.added:
        print(f"Added {', '.join(report.added)}: {report.build.n_chunks} passages in the collection.")
    return 0 if report.added else 2


def _delete_document(args, settings: Settings) -> int:
    report = _bot(settings).delete_document(args.doc)
    print(f"Deleted {args.doc}: {report.n_chunks} passages left in the collection.")
    return 0


def _replace(args, settings: Settings) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise ChatbotError(f"Could not read {args.file} ({exc.strerror}); check the path.") from None
    report = _bot(settings).replace_document(args.doc, data)
    print(f"Replaced {args.doc}: {report.n_chunks} passages in the collection.")
    return 0


def _reindex(args, settings: Settings) -> int:
    report = _bot(settings).reindex_document(args.doc)
    print(f"Indexed {args.doc} again in {report.seconds:.1f} s.")
    return 0
