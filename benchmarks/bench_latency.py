"""Latency benchmark: load times, retrieval, time to first token, total, decoding speed. Medians.

Run: .venv/bin/python benchmarks/bench_latency.py [--questions eval/questions.jsonl] [--n 12] [--k 5] [--engine llama_cpp]
     [--verdict-cost]  also answer each question with the answerability verdict off, interleaved, and report the ratio
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
    parser.add_argument("--verdict-cost", action="store_true", help="time each question with the verdict on and off")
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
    # Decoding time = generation minus its prompt processing and the checks that run between sentences.
    decode = [x.tokens_generated / (x.generation_s - (x.ttft_s - x.retrieval_s - x.rewrite_s - x.verdict_s) - x.checks_s)
              for x in t if x.tokens_generated > 1 and x.generation_s > 0]
    med = lambda xs: round(statistics.median(xs), 3) if xs else None
    result = {
        "engine": str(settings.generation.engine), "k": settings.retrieval.top_k, "questions": len(runs),
        "load_embedder_s": round(embed_load, 2), "load_index_s": round(index_load, 3), "load_generator_s": round(gen_load, 2),
        "retrieval_median_s": med(retrieval), "ttft_median_s": med([x.ttft_s for x in t if x.ttft_s]),
        "total_median_s": med([x.total_s for x in t]), "tokens_median": med([x.tokens_generated for x in t]),
        "decode_tokens_per_s_median": med(decode), "checks_median_s": med([x.checks_s for x in t]),
        "first_sentence_median_s": med([x.first_sentence_s for x in t if x.first_sentence_s]),
        "verdict_median_s": med([x.verdict_s for x in t]),
        "refused": sum(a.refused for a in runs),
    }
    if args.verdict_cost:
        result["verdict_cost"] = verdict_cost(bot, settings, embedder, index, generator, questions[1:] + questions[:1])
    print(json.dumps(result, indent=2))


def verdict_cost(bot, settings, embedder, index, generator, questions) -> dict:
    """All questions with the verdict off, then all with it on (same process and model), medians. Not the
    same question twice in a row: llama.cpp would find its sources already cached."""
    off = Chatbot(settings.replace(verdict=False), index=index, embedder=embedder, generator=generator)
    off_runs = [off.ask(q.question) for q in questions]
    on_runs = [bot.ask(q.question) for q in questions]
    both = [(a, b) for a, b in zip(on_runs, off_runs) if not a.refused and not b.refused]
    med = lambda xs: round(statistics.median(xs), 3) if xs else None
    on_total, off_total = med([a.timings.total_s for a, _ in both]), med([b.timings.total_s for _, b in both])
    return {"answered_by_both": len(both), "total_median_on_s": on_total, "total_median_off_s": off_total,
            "total_ratio_on_off": round(on_total / off_total, 3) if on_total and off_total else None,
            "first_sentence_median_on_s": med([a.timings.first_sentence_s for a, _ in both]),
            "first_sentence_median_off_s": med([b.timings.first_sentence_s for _, b in both]),
            "refused_on": sum(a.refused for a in on_runs), "refused_off": sum(b.refused for b in off_runs)}


if __name__ == "__main__":
    main()
