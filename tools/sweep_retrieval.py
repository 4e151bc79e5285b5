"""Retrieval sweep on a question set: chunk size × fusion × k, no language model involved.

Run: .venv/bin/python -m benchmarks.sweep_retrieval [--questions eval/questions.jsonl] [--sizes 400,600,800]
Follow-ups are searched with the engine's fallback query (earlier user turns + the question), so the
figures are a lower bound for them. The defaults in chatbot/config.py were chosen from this table.
"""
import argparse
import tempfile
from pathlib import Path

from chatbot.config import Settings
from chatbot.evaluation import metrics as m
from chatbot.evaluation.questions import load_questions
from chatbot.index.backend import build_index, load_index
from chatbot.index.embeddings import Embedder
from chatbot.index.retrieval import Retriever

FUSIONS = [("rrf", 0.5), ("weighted", 0.5), ("weighted", 0.7), ("weighted", 0.8)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--sizes", default="400,500,600,800")
    parser.add_argument("--ks", default="4,5,6")
    args = parser.parse_args()
    questions = [q for q in load_questions(args.questions) if q.answerable and q.evidence]
    embedder = Embedder(Settings().embedding_model)
    print(f"{len(questions)} answerable questions with evidence\n")
    print(f"{'chunk':>5} {'fusion':>12} {'k':>2} {'hit@k':>6} {'ev.recall':>9} {'mrr':>6} {'chunks':>6}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings().replace(index_dir=tmp, chunk_target_chars=size)
            build_index(settings, embedder, progress=False)
            index = load_index(settings)
            for fusion, weight in FUSIONS:
                retriever = Retriever(index, embedder, settings.replace(fusion=fusion, dense_weight=weight).retrieval)
                for k in (int(x) for x in args.ks.split(",")):
                    ranks = []
                    for q in questions:
                        query = " ".join([t["content"] for t in q.history if t["role"] == "user"] + [q.question])
                        ranks.append(m.evidence_ranks(q.evidence, [r.chunk.text for r in retriever.search(query, k)]))
                    hit = sum(any(r is not None for r in rs) for rs in ranks) / len(ranks)
                    recall = sum(r is not None for rs in ranks for r in rs) / sum(len(rs) for rs in ranks)
                    mrr = sum(m.reciprocal_rank(rs) for rs in ranks) / len(ranks)
                    label = "rrf" if fusion == "rrf" else f"weighted {weight}"
                    print(f"{size:>5} {label:>12} {k:>2} {hit:6.3f} {recall:9.3f} {mrr:6.3f} {index.n_chunks:>6}")


if __name__ == "__main__":
    main()
