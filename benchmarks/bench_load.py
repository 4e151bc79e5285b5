"""Concurrent sessions: in-process llama.cpp (one model behind a lock) against the openai engine talking to
llama.cpp's llama-server with parallel slots (continuous batching). Loopback only; bounded (each session
asks a fixed number of questions), so it stops by itself.

    .venv/bin/python benchmarks/bench_load.py [--sessions 1,2,4,8] [--per-session 2] [--slots 4]
        [--excerpt-chars 0] [--out runs/bench-load.json]

Each session is a thread asking different answerable questions of eval/questions.jsonl, one after the
other, through one shared `Chatbot` (as the app's browser sessions and the API's requests do). Reported
per engine and number of sessions: answers/min and generated tokens/s over the wall-clock time (aggregate),
p50/p95 answer latency, and answers lost (an error) or mixed (an answer to another question). Ratios of
the two engines at the same load are what to quote; run nothing else meanwhile.
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


def run_level(bot: Chatbot, questions: list[str], sessions: int, per_session: int) -> dict:
    """`sessions` threads, each asking its own `per_session` questions in turn."""
    plans = [[questions[(s * per_session + i) % len(questions)] for i in range(per_session)] for s in range(sessions)]

    def session(plan: list[str]) -> list[tuple[str, object]]:
        results = []
        for question in plan:
            try:
                results.append((question, bot.ask(question)))
            except ChatbotError as exc:
                results.append((question, exc))
        return results
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        done = [r for rs in pool.map(session, plans) for r in rs]
    wall = time.perf_counter() - started
    answers = [a for _, a in done if not isinstance(a, Exception)]
    latencies = sorted(a.timings.total_s for a in answers)
    tokens = sum(a.timings.tokens_generated for a in answers)
    return {"sessions": sessions, "answers": len(answers), "lost": len(done) - len(answers),
            "mixed": sum(q != a.question for q, a in done if not isinstance(a, Exception)),
            "wall_s": round(wall, 2), "answers_per_min": round(60 * len(answers) / wall, 2),
            "tokens_per_s": round(tokens / wall, 2), "tokens": tokens,
            "p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2) if latencies else None}


def curve(bot: Chatbot, questions: list[str], levels: list[int], per_session: int, label: str) -> list[dict]:
    bot.ask(questions[-1])  # warm: model loaded, caches filled
    rows = []
    for sessions in levels:
        row = {"engine": label, **run_level(bot, questions, sessions, per_session)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--sessions", default="1,2,4,8")
    parser.add_argument("--per-session", type=int, default=2)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--port", type=int, default=8181)
    parser.add_argument("--excerpt-chars", type=int, default=None, help="what the model reads (default: the project's)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-load.json")
    args = parser.parse_args()
    levels = [int(n) for n in args.sessions.split(",")]
    questions = [q.question for q in load_questions(args.questions) if q.answerable]
    base = Settings.from_env(excerpt_chars=args.excerpt_chars)

    local = Chatbot(base)
    rows = curve(local, questions, levels, args.per_session, "llama_cpp in process")
    del local
    with running(base, args.port, slots=args.slots) as url:
        served = Chatbot(base.replace(engine="openai", openai_base_url=url))
        rows += curve(served, questions, levels, args.per_session, f"openai + llama-server ({args.slots} slots)")

    print("\n| sessions | engine | answers/min | tokens/s | p50 s | p95 s | lost | mixed |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['sessions']} | {r['engine']} | {r['answers_per_min']} | {r['tokens_per_s']} | {r['p50_s']} | "
              f"{r['p95_s']} | {r['lost']} | {r['mixed']} |")
    print("\nRatios, server / in process, at the same load:")
    for n in levels:
        a, b = (next(r for r in rows if r["sessions"] == n and r["engine"].startswith(e)) for e in ("llama_cpp", "openai"))
        print(f"  {n} sessions: answers/min {b['answers_per_min'] / a['answers_per_min']:.2f}x, "
              f"tokens/s {b['tokens_per_s'] / a['tokens_per_s']:.2f}x, p50 {b['p50_s'] / a['p50_s']:.2f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": base.flat(), "slots": args.slots, "per_session": args.per_session,
                                    "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
