"""Command line: `python -m chatbot setup|check-model|index|search|ask|chat|serve|serve-model|eval|eval-compare`.

Errors the user can fix print as one sentence with exit code 2; nothing prints a traceback unless
CHATBOT_DEBUG=1 is set.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

from .config import Settings
from .engines import engine_class
from .errors import ChatbotError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env(top_k=getattr(args, "k", None))  # validated here: one clear error
        engine_class(settings.generation.engine)  # an unknown engine too
        if getattr(args, "collection", None):
            from .library import Library

            settings = Library(settings).settings_for(args.collection)
        return args.run(args, settings)
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one sentence for the user, the traceback on request
        if os.environ.get("CHATBOT_DEBUG"):
            raise
        print(f"Error: something unexpected went wrong ({type(exc).__name__}: {exc}); rerun with CHATBOT_DEBUG=1 for details and report it.", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatbot", description="Ask questions about a document collection; every answer cites its sources.")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("setup", help="assemble and check the models, build or update the index")
    p.set_defaults(run=_setup)

    p = sub.add_parser("settings", help="print the settings in effect (or, with --markdown, docs/configuration.md)")
    p.add_argument("--markdown", action="store_true", help="the configuration reference, generated from the code")
    p.set_defaults(run=_settings)

    p = sub.add_parser("check-model", help="prove the language model answers on this machine (in a child process)")
    p.set_defaults(run=_check_model)

    p = sub.add_parser("index", help="build or update the index from the corpus folder")
    p.add_argument("--rebuild", action="store_true", help="re-embed every document")
    p.add_argument("--watch", action="store_true", help="then follow the folder: index what is added, changed, renamed or "
                   "removed, until Ctrl-C")
    _collection_option(p)
    p.set_defaults(run=_index)

    p = sub.add_parser("search", help="show the ranked passages for a query")
    p.add_argument("query")
    p.add_argument("--k", type=int, help="number of passages")
    _source_options(p)
    p.set_defaults(run=_search)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--k", type=int, help="number of passages given to the model")
    _source_options(p)
    p.set_defaults(run=_ask)

    p = sub.add_parser("chat", help="chat in the terminal (follow-up questions use the history)")
    p.add_argument("--k", type=int, help="number of passages given to the model")
    _source_options(p)
    p.set_defaults(run=_chat)

    p = sub.add_parser("serve", help="answer over HTTP: /v1/ask, /v1/chat/completions (OpenAI protocol), /v1/collections")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(run=_serve)

    p = sub.add_parser("serve-model", help="run llama.cpp's llama-server with the bundled model (for CHATBOT_ENGINE=openai)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("MODEL_PORT", 8080)))
    p.add_argument("--slots", type=int, default=4, help="answers decoded side by side (each gets the full context)")
    p.set_defaults(run=_serve_model)

    p = sub.add_parser("serve-embeddings", help="run llama-server with the bundled MiniLM for CHATBOT_EMBEDDINGS=openai")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("EMBED_PORT", 8081)))
    p.set_defaults(run=_serve_embeddings)

    p = sub.add_parser("serve-index", help="run a local Milvus server (the milvus-lite 2.5.1 binary) for CHATBOT_INDEX_BACKEND=milvus")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("INDEX_PORT", 19530)))
    p.set_defaults(run=_serve_index)

    from .evaluation.cli import add_eval_commands  # the batch evaluation owns its own commands
    from .library_cli import add_library_commands  # and managing collections and documents theirs

    add_eval_commands(sub)
    add_library_commands(sub, _collection_option)
    return parser


def _collection_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--collection", help="the collection (default: the bundled one, or CHATBOT_CORPUS_DIR); "
                   "`python -m chatbot collections list` lists them")


def _source_options(p: argparse.ArgumentParser) -> None:
    _collection_option(p)
    p.add_argument("--doc", action="append", help="only this document (a file name; repeat for more)")
    p.add_argument("--tag", action="append", help="only documents with this tag (repeat for more)")


def _setup(args, settings: Settings) -> int:
    from .index.backend import build_index
    from .index.embeddings import make_embedder
    from .models import generator_model_path

    path = generator_model_path(settings.generation.generator_model, settings.model_cache_dir)
    print(f"Language model ready: {path}")
    embedder = make_embedder(settings)
    print(f"Embedding model ready: {settings.embedding_model} ({embedder.dimension} dimensions)")
    _print_build(build_index(settings, embedder))
    return _check_model(args, settings)


def _settings(args, settings: Settings) -> int:
    from .settings_doc import configuration_markdown

    if args.markdown:
        print(configuration_markdown(), end="")
        return 0
    for name, value in settings.flat().items():
        print(f"CHATBOT_{name.upper()}={value}")
    return 0


def _check_model(args, settings: Settings) -> int:
    import time

    from .engines.health import check_generator

    if not engine_class(settings.generation.engine).local:
        print("The language model runs on its server (CHATBOT_ENGINE=openai): `make serve-model` checks it there.")
        return 0
    print("Checking that the language model answers on this machine…", flush=True)
    started = time.perf_counter()
    reply = check_generator(settings)
    print(f"Language model answers: {reply.strip()!r} ({time.perf_counter() - started:.1f} s).")
    return 0


def _index(args, settings: Settings) -> int:
    from .index.backend import build_index

    report = build_index(settings, rebuild=args.rebuild)
    _print_build(report)
    if args.watch:
        from .index.watch import watch

        watch(settings, lambda r: _print_build(r) if r.changed or r.pending else None)
    return 130 if report.pending and not args.watch else 0


def _print_build(report) -> None:
    if report.pending:
        print(f"Stopped: {len(report.pending)} document(s) not indexed yet; the {report.n_chunks} passages of the others are "
              "in the index. Run `python -m chatbot index` again to go on (nothing finished is embedded again).")
    if report.renamed:
        print("Renamed, not embedded again: " + ", ".join(f"{old} -> {new}" for old, new in report.renamed.items()) + ".")
    if not report.changed:
        print(f"Index is up to date: {report.n_chunks} chunks from {len(report.unchanged)} documents.")
    else:
        parts = [f"{len(getattr(report, name))} {name}" for name in ("added", "updated", "removed", "unchanged") if getattr(report, name)]
        why = f" (from scratch: {report.reason})" if report.reason else ""
        print(f"Index built in {report.seconds:.1f} s{why}: {report.n_chunks} chunks; documents {', '.join(parts)}.")
    if report.furniture:
        print(f"Left out as page furniture (navigation, credits, banners): {sum(report.furniture.values())} line(s) in "
              f"{len(report.furniture)} document(s); the app's document list shows them.")
    if report.skipped:
        print(f"Skipped {len(report.skipped)} file(s), not indexed:")
        for name, reason in report.skipped.items():
            print(f"  {name} {reason}.")


def _search(args, settings: Settings) -> int:
    from .answer.screen import validate_question
    from .bot import Chatbot

    query = validate_question(args.query)
    bot = Chatbot(settings)  # the language model is not loaded: searching never needs it
    _warn_if_stale(bot)
    for r in bot.search(query, docs=args.doc, tags=args.tag):
        print(f"{r.rank}. {r.score:.4f} (dense {r.dense_score:.3f}, bm25 {r.bm25_score:.2f})  {r.chunk.doc_id} — {r.chunk.section}  [{r.chunk.chunk_id}]")
        print(textwrap.indent(textwrap.fill(" ".join(r.chunk.text.split()), 100), "   "))
    return 0


def _ask(args, settings: Settings) -> int:
    from .answer.screen import validate_question
    from .bot import Chatbot

    validate_question(args.question)  # before the models load: a bad question fails at once
    bot = Chatbot(settings)
    _warn_if_stale(bot)
    bot.documents_for(args.doc, args.tag)  # a name or tag that matches nothing fails before the model loads
    if args.json:
        print(json.dumps(bot.ask(args.question, docs=args.doc, tags=args.tag).to_json(), ensure_ascii=False, indent=2))
        return 0
    _stream_to_terminal(bot, args.question, [], args.doc, args.tag)
    return 0


def _chat(args, settings: Settings) -> int:
    from .bot import Chatbot

    bot = Chatbot(settings)
    _warn_if_stale(bot)
    print("Ask about the documents. Commands: /new starts a new conversation, /quit (or Ctrl-D) leaves.")
    history: list[dict] = []
    while True:
        try:
            question = input("\nYou: ").strip()
        except EOFError:
            print()
            return 0
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            history = []
            print("New conversation.")
            continue
        if not question:
            continue
        try:
            answer = _stream_to_terminal(bot, question, history, args.doc, args.tag)
        except ChatbotError as exc:
            print(f"Error: {exc}")
            continue
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


def _serve(args, settings: Settings) -> int:
    from .bot import Chatbot
    from .server import TOKEN_VARIABLE, serve

    bot = Chatbot(settings)
    _warn_if_stale(bot)
    bot.load_model()  # a model that cannot load (or a server that cannot be reached) fails now, not on the first request
    if args.host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get(TOKEN_VARIABLE):
        print(f"Note: listening on {args.host} without a token; set {TOKEN_VARIABLE} so that only your clients can ask.", file=sys.stderr)
    print(f"Serving {bot.collection().profile.name!r} at http://{args.host}:{args.port}/v1 (Ctrl-C stops it).", file=sys.stderr)
    serve(bot, args.host, args.port)
    return 0


def _serve_model(args, settings: Settings) -> int:
    from .model_server import exec_server

    exec_server(settings, args.port, args.slots, args.host)
    return 0  # not reached: the process is llama-server now


def _serve_embeddings(args, settings: Settings) -> int:
    from .model_server import exec_embeddings_server

    exec_embeddings_server(settings, args.port, args.host)
    return 0  # not reached: the process is llama-server now


def _serve_index(args, settings: Settings) -> int:
    from .index.milvus_server import exec_milvus

    exec_milvus(settings, args.host, args.port)
    return 0  # not reached: the process is Milvus now


def _warn_if_stale(bot) -> None:
    stale = bot.stale_documents()
    if stale:
        print(f"Note: {len(stale)} document(s) changed since the index was built ({', '.join(stale[:3])}); "
              "run `python -m chatbot index` to include the changes.", file=sys.stderr)


def _stream_to_terminal(bot, question: str, history: list[dict], docs=None, tags=None):
    from .presentation import source_label

    stream = bot.stream(question, history, docs=docs, tags=tags)
    print("Bot: ", end="", flush=True)
    for piece in stream:
        print(piece, end="", flush=True)
    answer = stream.answer
    print()
    if answer.dropped:
        print(f"(Removed {len(answer.dropped)} sentence(s) the sources do not support.)")
    for c in answer.citations:
        print(f"  [{c.n}] {source_label(c.title, c.section, c.page, c.doc_id)} ({c.doc_id})")
        for evidence in c.evidence:
            print(textwrap.indent(textwrap.fill(f"“{' '.join(evidence.split())}”", 96), "      "))
    if answer.limited_to is not None:
        print(f"  (limited to: {', '.join(answer.limited_to)})")
    t = answer.timings
    print(f"  ({t.total_s:.1f} s, first word after {t.ttft_s:.1f} s, {len(answer.citations)} sources)")
    return answer
