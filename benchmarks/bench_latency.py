"""Latency benchmark: load times, retrieval, time to first token, total, decoding speed. Medians.

Run: .venv/bin/python benchmarks/bench_latency.py [--questions eval/questions.jsonl] [--n 12] [--k 5] [--engine llama_cpp]
The machine is shared and noisy: quote the medians, and run nothing else meanwhile.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.engines import load_generator
from chatbot.evaluation.questions import load_questions
from chatbot.index.embeddings import Embedder
from chatbot.index.store import load_index


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--n", type=int, default=12, help="answerable questions to time")
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument("--engine", default=None)
    args = parser.parse_args()
    settings = Settings.from_env(top_k=args.k, engine=args.engine)

    embedder, embed_load = timed(lambda: Embedder(settings.embedding_model))
    index, index_load = timed(lambda: load_index(settings))
    generator, gen_load = timed(lambda: load_generator(settings.generation, settings.model_cache_dir))
    bot = Chatbot(settings, index=index, embedder=embedder, generator=generator)
    questions = [q for q in load_questions(args.questions) if q.answerable and not q.history][: args.n]

    retrieval = [timed(lambda q=q: bot.retriever.search(q.question))[1] for q in questions for _ in range(3)]
    bot.ask(questions[0].question)  # warm-up: the fixed system prompt enters llama.cpp's cache
    runs = [bot.ask(q.question) for q in questions]
    t = [a.timings for a in runs]
    decode = [x.tokens_generated / (x.generation_s - (x.ttft_s - x.retrieval_s - x.rewrite_s)) for x in t
              if x.tokens_generated > 1 and x.generation_s > 0]
    med = lambda xs: round(statistics.median(xs), 3) if xs else None
    result = {
        "engine": str(settings.generation.engine), "k": settings.retrieval.top_k, "questions": len(runs),
        "load_embedder_s": round(embed_load, 2), "load_index_s": round(index_load, 3), "load_generator_s": round(gen_load, 2),
        "retrieval_median_s": med(retrieval), "ttft_median_s": med([x.ttft_s for x in t if x.ttft_s]),
        "total_median_s": med([x.total_s for x in t]), "tokens_median": med([x.tokens_generated for x in t]),
        "decode_tokens_per_s_median": med(decode), "checks_median_s": med([x.checks_s for x in t]),
        "refused": sum(a.refused for a in runs),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
