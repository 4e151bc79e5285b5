"""Same passages through Milvus? A question set's top-5 through the embedded store, through Milvus with our fusion,
and through Milvus's own RRF (fusion=engine_rrf), on a real collection and the real MiniLM.

    .venv/bin/python -m benchmarks.bench_milvus_overlap [QUESTIONS] [--corpus DIR] [--differing FILE]

The collection is indexed by both backends (Milvus: the pinned milvus-lite 2.5.1 binary on a free loopback port).
Reported: mean overlap@5 and how many questions get the identical top 5 in the same order (the same prompt, so the
same greedy answer); --differing writes the questions that do not, for an `eval` through Milvus of just those.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.evaluation.questions import load_questions
from chatbot.index.backend import build_index
from chatbot.index.embeddings import make_embedder

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    from helpers.milvus import milvus_server  # the tests' own fixture code: the pinned binary on a free port

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path, nargs="?", default=ROOT / "eval/questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--differing", type=Path, help="write the questions whose top 5 differs through Milvus here")
    args = parser.parse_args()
    questions = [q for q in load_questions(args.questions) if not q.history]  # a follow-up is rewritten by the model
    work = Path(tempfile.mkdtemp(prefix="milvus-overlap-"))
    embedded = Settings.from_env(corpus_dir=args.corpus, index_dir=work / "embedded")
    embedder = make_embedder(embedded)
    build_index(embedded, embedder, progress=False)
    with milvus_server(work / "milvus") as (uri, _):
        on_milvus = embedded.replace(index_dir=work / "milvus-index", index_backend="milvus", milvus_uri=uri, milvus_collection="overlap")
        build_index(on_milvus, embedder, progress=False)
        bots = {"embedded": Chatbot(embedded, embedder=embedder), "milvus": Chatbot(on_milvus, embedder=embedder),
                "milvus engine_rrf": Chatbot(on_milvus.replace(fusion="engine_rrf"), embedder=embedder)}
        top = {name: {q.id: [r.chunk.chunk_id for r in bot.search(q.question, k=5, docs=q.limit_docs or None)] for q in questions}
               for name, bot in bots.items()}
    print(f"{len(questions)} questions (follow-ups left out), top 5 against the embedded store:")
    for name in ("milvus", "milvus engine_rrf"):
        overlap = [len(set(top[name][q.id]) & set(top["embedded"][q.id])) / 5 for q in questions]
        same = [q for q in questions if top[name][q.id] == top["embedded"][q.id]]
        print(f"  {name:18} overlap@5 {statistics.mean(overlap):.3f}, identical top 5 in order {len(same)}/{len(questions)}")
    if args.differing:
        differing = [q.id for q in questions if top["milvus"][q.id] != top["embedded"][q.id]]
        rows = [line for line in args.questions.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line)["id"] in differing]
        args.differing.write_text("\n".join(rows) + "\n", encoding="utf-8")
        print(f"{len(rows)} differing questions written to {args.differing}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    main()
