"""Latency against a plain RAG baseline, side by side in one process: time to first token, whole answer,
decoding and prefill speed, prompt tokens; the engine against bare llama-cpp-python on the identical
prompt; and a cold `python -m chatbot ask` with its breakdown. Medians; ratios are what to quote (the
machine is shared and noisy, and machines differ).

    .venv/bin/python -m benchmarks.bench_latency [--questions eval/questions.jsonl] [--n 12] [--corpus DIR]
        [--checks-cost]    also answer each question with the answerability verdict and the meaning check off,
                           and report the ratio of answer times (the issue's "together add at most 15 %")

The baseline is built from the design card's parts, independently of the engine: the collection cut into
~150-word chunks, MiniLM top-5 (FAISS, exact), a classic "answer from the numbered sources with [n]"
prompt, and bare llama-cpp-python with the same GGUF, threads and context. Questions alternate between
the project and the baseline, so both see the same machine. Run nothing else meanwhile.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.engines import load_generator
from chatbot.evaluation.questions import load_questions
from chatbot.index.backend import load_index
from chatbot.index.embeddings import Embedder
from chatbot.ingest.documents import load_corpus
from chatbot.models import generator_model_path

ROOT = Path(__file__).resolve().parent.parent
BASELINE_SYSTEM = ("Answer the question using only the numbered sources below. Cite the source of every sentence "
                   "like [1]. If the sources do not contain the answer, say that you don't know.")


class PlainRag:
    """The baseline: fixed-size word chunks, MiniLM top-k, one prompt, bare llama-cpp-python."""

    def __init__(self, settings: Settings, embedder: Embedder, words: int = 150, k: int = 5):
        import faiss
        from llama_cpp import Llama

        texts = []
        for doc in load_corpus(settings.corpus_dir):
            tokens = doc.text.split()
            texts += [" ".join(tokens[i:i + words]) for i in range(0, len(tokens), words)]
        self.chunks, self.embedder, self.k = texts, embedder, k
        self.index = faiss.IndexFlatIP(embedder.dimension)
        self.index.add(np.asarray(embedder.embed(texts), dtype=np.float32))
        self.llm = Llama(model_path=str(generator_model_path(settings.generation.generator_model, settings.model_cache_dir, False)),
                         n_ctx=settings.generation.n_ctx, n_threads=settings.generation.n_threads, seed=0, verbose=False)

    def messages(self, question: str) -> list[dict]:
        _, ids = self.index.search(np.asarray(self.embedder.embed([question]), dtype=np.float32), self.k)
        sources = "\n\n".join(f"[{n}] {self.chunks[i]}" for n, i in enumerate(ids[0], 1))
        return [{"role": "system", "content": BASELINE_SYSTEM},
                {"role": "user", "content": f"Sources:\n{sources}\n\nQuestion: {question}"}]

    def answer(self, question: str, max_tokens: int) -> dict:
        start = time.perf_counter()
        return stream_timed(self.llm, self.messages(question), max_tokens, start)


def stream_timed(llm, messages: list[dict], max_tokens: int, start: float | None = None) -> dict:
    """Bare llama-cpp-python: time to the first token and to the end, tokens written, prompt tokens."""
    start = start or time.perf_counter()
    first, text = None, ""
    for part in llm.create_chat_completion(messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens):
        delta = part["choices"][0]["delta"].get("content")
        if delta:
            first = first or time.perf_counter()
            text += delta
    end = time.perf_counter()
    tokens = len(llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0
    return {"ttft_s": (first or end) - start, "total_s": end - start, "tokens": tokens,
            "decode_tps": (tokens - 1) / (end - first) if first and tokens > 1 and end > first else None,
            "prompt_tokens": sum(len(llm.tokenize(m["content"].encode("utf-8"), add_bos=False)) for m in messages)}


def cold_start(question: str) -> dict:
    """A new process answering one question, models on disk, with its phases."""
    script = f"""
import time, json
t0 = time.perf_counter()
from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.engines import load_generator
from chatbot.index.embeddings import Embedder
from chatbot.index.backend import load_index
t1 = time.perf_counter(); s = Settings.from_env()
e = Embedder(s.embedding_model, s.model_cache_dir); e.embed(["warm"]); t2 = time.perf_counter()
i = load_index(s); t3 = time.perf_counter()
g = load_generator(s); t4 = time.perf_counter()
a = Chatbot(s, index=i, embedder=e, generator=g).ask({question!r}); t5 = time.perf_counter()
print(json.dumps({{"imports_s": t1 - t0, "embedder_s": t2 - t1, "index_s": t3 - t2, "model_s": t4 - t3, "answer_s": t5 - t4}}))
"""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), check=True)
    phases = json.loads(out.stdout.strip().splitlines()[-1])
    start_cli = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chatbot", "ask", question], capture_output=True, cwd=ROOT, check=True)
    return {"process_s": round(start_cli, 2), "cli_ask_s": round(time.perf_counter() - start, 2),
            **{k: round(v, 2) for k, v in phases.items()}}


def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--n", type=int, default=12, help="answerable questions to time")
    parser.add_argument("--corpus", type=Path, help="another collection (its index must be built in CHATBOT_INDEX_DIR)")
    parser.add_argument("--checks-cost", action="store_true", help="time each question with the verdict and meaning check on and off")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start runs")
    parser.add_argument("--cold-only", action="store_true", help="only the cold start and the indexing throughput")
    parser.add_argument("--excerpts", default="", help="also time the project at these CHATBOT_EXCERPT_CHARS values, e.g. 0,600")
    args = parser.parse_args()
    settings = Settings.from_env(corpus_dir=args.corpus)
    embedder = Embedder(settings.embedding_model, settings.model_cache_dir)
    if args.cold_only:
        question = next(q.question for q in load_questions(args.questions) if q.answerable and not q.history)
        bot = Chatbot(settings, index=load_index(settings), embedder=embedder)
        print(json.dumps({"cold": cold_start(question), "indexing": indexing_throughput(bot, embedder)}, indent=2))
        return
    generator = load_generator(settings)
    bot = Chatbot(settings, index=load_index(settings), embedder=embedder, generator=generator)
    baseline = PlainRag(settings, embedder)
    questions = [q.question for q in load_questions(args.questions) if q.answerable and not q.history][: args.n]
    max_tokens = settings.generation.max_new_tokens

    bot.ask(questions[-1]), baseline.answer(questions[-1], max_tokens)  # warm-up: system prompts enter the caches
    variants = {int(x): Chatbot(settings.replace(excerpt_chars=int(x)), index=bot.index, embedder=embedder, generator=generator)
                for x in args.excerpts.split(",") if x.strip()}
    variant_runs: dict[int, list] = {x: [] for x in variants}
    project, plain, bare, engine = [], [], [], []
    for q in questions:
        for x, variant in variants.items():
            variant_runs[x].append(variant.ask(q))
        answer = bot.ask(q)
        t = answer.timings
        messages = answer.trace.messages or None  # what the model read (empty: refused before reading)
        decode_s = t.total_s - t.ttft_s  # the checks between sentences are in it: what a reader waits for
        project.append({"ttft_s": t.ttft_s, "total_s": t.total_s, "tokens": t.tokens_generated, "refused": answer.refused,
                        "decode_tps": (t.tokens_generated - 1) / decode_s if t.tokens_generated > 1 and decode_s > 0 else None,
                        "prompt_tokens": sum(generator.count_tokens(m["content"]) for m in messages) if messages else None})
        plain.append(baseline.answer(q, max_tokens))
        if messages:  # the identical prompt through the engine and through bare llama-cpp-python (cold cache for both)
            baseline.llm.reset()
            bare.append(stream_timed(baseline.llm, messages, max_tokens))
            engine.append(engine_timed(generator, messages, max_tokens))
    result = {"questions": len(questions), "k": settings.retrieval.top_k}
    for name, runs in (("project", project), ("baseline", plain)):
        result[name] = {key: med([r.get(key) for r in runs]) for key in ("prompt_tokens", "ttft_s", "total_s", "tokens")}
        result[name]["prefill_tps"] = med([r["prompt_tokens"] / r["ttft_s"] for r in runs if r.get("prompt_tokens") and r["ttft_s"]])
        result[name]["decode_tps"] = med([r.get("decode_tps") for r in runs])
    result["project"]["refused"] = sum(r["refused"] for r in project)
    result["ratio_ttft"] = round(result["project"]["ttft_s"] / result["baseline"]["ttft_s"], 3)
    result["ratio_total"] = round(result["project"]["total_s"] / result["baseline"]["total_s"], 3)
    for x, answers in variant_runs.items():
        timings = [a.timings for a in answers]
        ttft, total = med([t.ttft_s for t in timings if t.ttft_s]), med([t.total_s for t in timings])
        prompts = [a.trace.messages for a in answers if a.trace.messages]
        result[f"project_excerpt_{x}"] = {"ttft_s": ttft, "total_s": total, "refused": sum(a.refused for a in answers),
                                          "prompt_tokens": med([sum(generator.count_tokens(m["content"]) for m in msgs) for msgs in prompts]),
                                          "ratio_ttft": round(ttft / result["baseline"]["ttft_s"], 3) if ttft else None,
                                          "ratio_total": round(total / result["baseline"]["total_s"], 3)}
    result["same_prompt"] = {"engine_ttft_s": med([r["ttft_s"] for r in engine]), "bare_ttft_s": med([r["ttft_s"] for r in bare]),
                             "engine_decode_tps": med([r["decode_tps"] for r in engine]),
                             "bare_decode_tps": med([r["decode_tps"] for r in bare])}
    sp = result["same_prompt"]
    if sp["engine_decode_tps"] and sp["bare_decode_tps"]:
        sp["ratio_ttft"] = round(sp["engine_ttft_s"] / sp["bare_ttft_s"], 3)
        sp["ratio_decode"] = round(sp["engine_decode_tps"] / sp["bare_decode_tps"], 3)
    if not args.no_cold:
        result["cold"] = cold_start(questions[0])
        result["cold"]["ratio_to_warm_total"] = round(result["cold"]["cli_ask_s"] / result["project"]["total_s"], 3)
    result["indexing"] = indexing_throughput(bot, embedder)
    if args.checks_cost:
        result["checks_cost"] = checks_cost(bot, settings, embedder, generator, questions[1:] + questions[:1])
    print(json.dumps(result, indent=2))


def indexing_throughput(bot, embedder: Embedder) -> dict:
    """Chunks embedded per second (what indexing waits for): ONNX Runtime against sentence-transformers, same texts."""
    from chatbot.index.embeddings import _sentence_transformers_encoder
    from chatbot.models import embedding_model_path

    texts = [c.embedding_text() for c in bot.index.all_chunks()] * 3
    reference, _ = _sentence_transformers_encoder(embedding_model_path(bot.settings.embedding_model))
    reference(texts[:32], False)
    start = time.perf_counter()
    want = reference(texts, False)
    t_st = time.perf_counter() - start
    start = time.perf_counter()
    got = embedder.embed(texts)
    t_onnx = time.perf_counter() - start
    return {"chunks": len(texts), "onnx_chunks_per_s": round(len(texts) / t_onnx, 1),
            "sentence_transformers_chunks_per_s": round(len(texts) / t_st, 1), "ratio": round(t_st / t_onnx, 2),
            "max_cosine_difference": float(np.max(1 - (got * want).sum(axis=1)))}


def engine_timed(generator, messages: list[dict], max_tokens: int) -> dict:
    """The project's engine on a prompt (its cache cleared first, as bare llama-cpp-python's is)."""
    generator._llm.reset()
    start, first, text = time.perf_counter(), None, ""
    for piece in generator.stream(messages, max_tokens):
        first = first or time.perf_counter()
        text += piece
    end = time.perf_counter()
    tokens = generator.count_tokens(text)
    return {"ttft_s": (first or end) - start, "total_s": end - start,
            "decode_tps": (tokens - 1) / (end - first) if first and tokens > 1 and end > first else None}


def checks_cost(bot, settings, embedder, generator, questions) -> dict:
    """All questions with the verdict and the meaning check off, then all with both on (same process and
    model), medians. Not the same question twice in a row: llama.cpp would find its sources already cached."""
    off = Chatbot(settings.replace(verdict=False, meaning_min_yes=0.0), index=bot.index, embedder=embedder, generator=generator)
    off_runs = [off.ask(q) for q in questions]
    on_runs = [bot.ask(q) for q in questions]
    both = [(a, b) for a, b in zip(on_runs, off_runs) if not a.refused and not b.refused]
    on_total, off_total = med([a.timings.total_s for a, _ in both]), med([b.timings.total_s for _, b in both])
    first_on = med([a.timings.first_sentence_s for a, _ in both])
    first_off = med([b.timings.first_sentence_s for _, b in both])
    return {"answered_by_both": len(both), "total_median_on_s": on_total, "total_median_off_s": off_total,
            "total_ratio_on_off": round(on_total / off_total, 3) if on_total and off_total else None,
            "first_sentence_median_on_s": first_on, "first_sentence_median_off_s": first_off,
            "first_sentence_ratio_on_off": round(first_on / first_off, 3) if first_on and first_off else None}


if __name__ == "__main__":
    main()
