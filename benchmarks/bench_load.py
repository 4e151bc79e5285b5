"""Concurrent sessions: in-process llama.cpp (one model behind a lock) against the openai engine talking to
llama.cpp's llama-server with parallel slots (continuous batching). Loopback only; bounded (each session
asks a fixed number of questions), so it stops by itself.

    .venv/bin/python -m benchmarks.bench_load [--sessions 1,2,4,8] [--per-session 2] [--slots 4]
        [--excerpt-chars 0] [--engines local,server] [--out runs/bench-load.json]

Each session is a thread asking different answerable questions of eval/questions.jsonl, one after the
other (no question is asked twice in a curve, so no answer comes from a cache), through one shared
`Chatbot` (as the app's browser sessions and the API's requests do). Reported per engine and number of
sessions: answers/min and generated tokens/s over the wall-clock time (aggregate), aggregate decode tokens/s
(all tokens over the time in which at least one answer was decoding), p50/p95 answer
latency, and answers lost (an error) or mixed (an answer to another question). Ratios of the two engines
at the same load are what to quote; run nothing else meanwhile. Then a decode probe: `--decode-streams` replies
to tiny prompts generated at once, decoding alone (the part of an answer batching can share).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.errors import ChatbotError
from chatbot.evaluation.questions import load_questions
from chatbot.model_server import running

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo"]


def run_level(bot: Chatbot, questions: list[str], sessions: int, per_session: int) -> dict:
    """`sessions` threads, each asking its own `per_session` of `questions` in turn."""
    plans = [questions[s * per_session:(s + 1) * per_session] for s in range(sessions)]

    def session(plan: list[str]) -> list[tuple[str, float, object]]:
        results = []
        for question in plan:
            asked = time.perf_counter()
            try:
                results.append((question, asked, bot.ask(question)))
            except ChatbotError as exc:
                results.append((question, asked, exc))
        return results
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        done = [r for rs in pool.map(session, plans) for r in rs]
    wall = time.perf_counter() - started
    answered = [(asked, a) for _, asked, a in done if not isinstance(a, Exception)]
    answers = [a for _, a in answered]
    latencies = sorted(a.timings.total_s for a in answers)
    tokens = sum(a.timings.tokens_generated for a in answers)
    # Decoding: from an answer's first token to its end. Aggregate decode speed = all tokens over the time in
    # which at least one answer was decoding (in process these spans follow each other; on a server they overlap).
    decoding = _union([(asked + a.timings.ttft_s, asked + a.timings.total_s) for asked, a in answered if a.timings.ttft_s > 0])
    return {"sessions": sessions, "answers": len(answers), "lost": len(done) - len(answers),
            "mixed": sum(q != a.question for q, _, a in done if not isinstance(a, Exception)),
            "wall_s": round(wall, 2), "answers_per_min": round(60 * len(answers) / wall, 2),
            "tokens_per_s": round(tokens / wall, 2), "tokens": tokens,
            "decode_tokens_per_s": round(tokens / decoding, 2) if decoding else None,
            "p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2) if latencies else None}


def _union(spans: list[tuple[float, float]]) -> float:
    """The length of time covered by at least one of `spans`."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def curve(bot: Chatbot, questions: list[str], levels: list[int], per_session: int, label: str) -> list[dict]:
    """Each level asks questions no earlier level asked: a model server keeps the prompts of earlier requests
    in its slots, and a repeated question would be answered from that cache instead of being read."""
    bot.ask(questions[-1])  # warm: model loaded (the warm-up question is never asked again)
    rows, start = [], 0
    for sessions in levels:
        batch = questions[start:start + sessions * per_session]
        start += len(batch)
        row = {"engine": label, **run_level(bot, batch, sessions, per_session)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def decode_probe(generator, streams: int, max_tokens: int = 128) -> dict:
    """Decoding alone: `streams` replies to tiny prompts generated at once (a local engine takes them in turn);
    all generated tokens over the wall-clock time. This is the part of an answer that batching can share."""
    def one(n: int) -> int:
        # A different long story each, so that every reply runs to max_tokens (a count stops early).
        reply = generator.stream([{"role": "user", "content": f"Write a long story, at least 500 words, about a lighthouse "
                                                              f"keeper called {NAMES[n % len(NAMES)]}."}], max_tokens)
        text = "".join(reply)
        served = getattr(reply, "completion_tokens", None)
        return served if served is not None else generator.count_tokens(text)
    one(streams + 1)  # warm
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=streams) as pool:
        tokens = sum(pool.map(one, range(streams)))
    wall = time.perf_counter() - started
    return {"streams": streams, "tokens": tokens, "wall_s": round(wall, 2), "decode_tokens_per_s": round(tokens / wall, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--sessions", default="1,2,4,8")
    parser.add_argument("--per-session", type=int, default=2)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--engines", default="local,server", help="which curves: local (in process), server, or both")
    parser.add_argument("--port", type=int, default=8181)
    parser.add_argument("--excerpt-chars", type=int, default=None, help="what the model reads (default: the project's)")
    parser.add_argument("--decode-streams", type=int, default=4, help="replies decoded at once in the decode probe (0: none)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-load.json")
    args = parser.parse_args()
    levels = [int(n) for n in args.sessions.split(",")]
    questions = [q.question for q in load_questions(args.questions) if q.answerable]
    needed = sum(levels) * args.per_session + 1
    if len(questions) < needed:
        parser.error(f"{args.questions} has {len(questions)} answerable questions; this run needs {needed} different ones.")
    base = Settings.from_env(excerpt_chars=args.excerpt_chars)

    engines = args.engines.split(",")
    rows, probes = [], {}
    if "local" in engines:
        local = Chatbot(base)
        rows += curve(local, questions, levels, args.per_session, "llama_cpp in process")
        if args.decode_streams:
            probes["in process"] = decode_probe(local.generator, args.decode_streams)
    if "server" in engines:
        with running(base, args.port, slots=args.slots) as url:
            served = Chatbot(base.replace(engine="openai", openai_base_url=url))
            rows += curve(served, questions, levels, args.per_session, f"openai + llama-server ({args.slots} slots)")
            if args.decode_streams:
                probes["llama-server"] = decode_probe(served.generator, args.decode_streams)

    print("\n| sessions | engine | answers/min | decode tokens/s | tokens/s (wall) | p50 s | p95 s | lost | mixed |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['sessions']} | {r['engine']} | {r['answers_per_min']} | {r['decode_tokens_per_s']} | {r['tokens_per_s']} | "
              f"{r['p50_s']} | {r['p95_s']} | {r['lost']} | {r['mixed']} |")
    print("\nRatios, server / in process, at the same load:")
    for n in levels if len(engines) == 2 else []:
        a, b = (next(r for r in rows if r["sessions"] == n and r["engine"].startswith(e)) for e in ("llama_cpp", "openai"))
        print(f"  {n} sessions: answers/min {b['answers_per_min'] / a['answers_per_min']:.2f}x, decode tokens/s "
              f"{b['decode_tokens_per_s'] / a['decode_tokens_per_s']:.2f}x, p50 {b['p50_s'] / a['p50_s']:.2f}x")
    for name, probe in probes.items():
        print(f"Decode probe, {name}: {probe['streams']} replies at once, {probe['tokens']} tokens in {probe['wall_s']} s = "
              f"{probe['decode_tokens_per_s']} tokens/s")
    if len(probes) == 2:
        print(f"  server / in process: {probes['llama-server']['decode_tokens_per_s'] / probes['in process']['decode_tokens_per_s']:.2f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": base.flat(), "slots": args.slots, "per_session": args.per_session,
                                    "rows": rows, "decode_probe": probes}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
