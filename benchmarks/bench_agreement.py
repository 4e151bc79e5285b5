"""Agreement between sampled answers as a second opinion where the verdict is unsure (semantic-entropy style).

    .venv/bin/python -m benchmarks.bench_agreement collect NAME QUESTIONS BASE_RUN [--corpus DIR] [--index DIR]
    .venv/bin/python -m benchmarks.bench_agreement grid NAME:QUESTIONS:BASE_RUN ... [--out FILE]

`collect`: each question whose verdict P in BASE_RUN (a finished `chatbot eval` run of today's defaults) lies in
[--from, --to) is asked again with the verdict open (its threshold at 0: P is still computed and recorded), which
is the answer a reader would get if the verdict said yes, with every usual check. Then --samples answers are drawn
at each of --temperatures from that same prompt (llama.cpp keeps the prompt cached: a sample costs decoding only).
Each sample is compared with the answer two ways: `meaning`, the cosine of the embedder's vectors (citation marks
removed); `cited`, whether it cites one of the answer's sources and shares its words (token F1 >= 0.5); `judged`,
the model's P(yes) when asked whether the two answers give the same answer to the question. A sample that says the
sources do not answer agrees with nothing. Writes runs/agreement/NAME.jsonl, resumable; run again with another
temperature, it adds that temperature's samples (and any missing `judged`) to the questions already collected.

`grid`: every setting (band edges, temperature, n, measure, cut) gives each question an outcome: outside the band
today's (BASE_RUN's, or for a collected question P >= 0.6 ? the gate-open answer : a refusal); in the band below
0.6, the gate-open answer when agreement reaches the cut, else a refusal; in the band at or above 0.6, a refusal
when agreement misses the cut. Scored with the cost that set the threshold (2 x confidently wrong + false
refusals, chatbot/evaluation/metrics.py), per set and summed; printed best first.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chatbot.answer.refusals import model_refused
from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.engines import Sampling
from chatbot.evaluation.metrics import contains_answer, decision_cost, percentile, token_f1
from chatbot.evaluation.questions import EvalQuestion, load_questions

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "runs" / "agreement"
_MARK = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def plain(text: str) -> str:
    return " ".join(_MARK.sub("", text).split())


def cited(text: str) -> set[str]:
    return set(re.findall(r"\[(\d+)\]", text))


# ---- collect

def collect(args) -> None:
    settings = Settings.from_env().replace(verdict_min_probability=0.0)
    if args.corpus:
        settings = settings.replace(corpus_dir=args.corpus, index_dir=args.index or args.base_run / "index")
    base = {r["id"]: r for r in _records(args.base_run)}
    questions = [q for q in load_questions(args.questions)
                 if q.id in base and base[q.id]["answerable_probability"] is not None
                 and args.lo <= base[q.id]["answerable_probability"] < args.hi]
    if args.limit and len(questions) > args.limit:  # a fixed random subset, the same on every run
        questions = sorted(random.Random(0).sample(questions, args.limit), key=lambda q: q.id)
    out = OUT / f"{args.name}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    records = {r["id"]: r for r in _read(out)}
    bot = Chatbot.up_to_date(settings)
    temperatures = [float(t) for t in args.temperatures.split(",")]
    print(f"{args.name}: {len(questions)} questions in [{args.lo}, {args.hi}), {len(records)} collected before")
    for q in questions:
        before = records.get(q.id)
        if before is not None and not before["samples"]:
            continue  # refused before the model wrote anything: no band can change that
        record = ask_and_sample(bot, q, temperatures, args.samples, settings.max_new_tokens, before)
        if record is before:
            continue
        records[q.id] = record
        _write(out, list(records.values()))  # whole file each time: an interrupted run loses one question at most
        print(f"  {q.id} P={record['p']} refused={record['refused']} samples {record['sample_s']:.1f} s "
              f"meaning {[round(s['meaning'], 2) for s in record['samples']]} "
              f"judged {[round(s['judged'], 2) for s in record['samples']]}", flush=True)


def ask_and_sample(bot: Chatbot, q: EvalQuestion, temperatures: list[float], per_t: int, max_tokens: int,
                   before: dict | None = None) -> dict:
    """The gate-open answer and its samples; `before`, a record collected earlier, gets only what it lacks."""
    missing = [t for t in temperatures if before is None or not any(x["t"] == t for x in before["samples"])]
    if before is not None and not missing and all("judged" in x for x in before["samples"]):
        return before
    record = json.loads(json.dumps(before)) if before is not None else None  # a copy: `before` stays as it was
    if missing:  # the answer asked again (greedy: the same text) for the prompt its samples are drawn from
        answer = bot.ask(q.question, q.history, docs=q.limit_docs or None, tags=q.limit_tags or None)
        if record is None:
            record = {"id": q.id, "p": answer.answerable, "refused": answer.refused,
                      "reason": str(answer.refusal_reason or ""), "text": answer.text, "raw": answer.raw_text,
                      "answer_s": answer.timings.total_s, "verdict_s": answer.timings.verdict_s,
                      "retried": answer.trace.retried, "samples": [], "sample_s": 0.0}
        if not answer.trace or not answer.trace.messages or not answer.raw_text:
            return record
        t0 = time.perf_counter()
        for t, seed in itertools.product(missing, range(per_t)):
            started = time.perf_counter()
            text = "".join(bot.generator.stream(answer.trace.messages, max_tokens, Sampling(t, 0.95, seed + 1))).strip()
            record["samples"].append({"t": t, "seed": seed + 1, "text": text, "s": time.perf_counter() - started})
        record["sample_s"] += time.perf_counter() - t0
    reference = plain(record["raw"])
    fresh = [x for x in record["samples"] if "meaning" not in x]
    vectors = bot.embedder.embed([reference] + [plain(x["text"]) for x in fresh])
    for sample, vector in zip(fresh, vectors[1:]):
        refused = model_refused(sample["text"])
        sample["meaning"] = 0.0 if refused else float(np.dot(vectors[0], vector))
        sample["cited"] = (not refused and bool(cited(sample["text"]) & cited(record["raw"]))
                           and token_f1(plain(sample["text"]), reference) >= 0.5)
    for sample in record["samples"]:
        if "judged" not in sample:
            sample["judged"] = 0.0 if model_refused(sample["text"]) else same_answer(bot, q.question, reference, plain(sample["text"]))
    return record


SAME_ANSWER = "Do answer A and answer B give the same answer to the question? Reply with yes or no."


def same_answer(bot: Chatbot, question: str, a: str, b: str) -> float:
    """The model's P(yes) that two answers say the same (the third way of grouping answers the issue names)."""
    messages = [{"role": "user", "content": f"Question: {question}\nAnswer A: {a}\nAnswer B: {b}\n{SAME_ANSWER}"}]
    with bot.generator.turn():
        return bot.generator.yes_probability(messages)


# ---- grid

@dataclass(frozen=True)
class Setting:
    lo: float
    hi: float
    t: float
    n: int
    measure: str
    cut: float


def drawn(record: dict, s: Setting) -> list[dict]:
    return [x for x in record["samples"] if x["t"] == s.t][:s.n]


def agreement(record: dict, s: Setting) -> float:
    samples = drawn(record, s)
    return statistics.mean(float(x[s.measure]) for x in samples) if samples else 0.0


def outcome(q: EvalQuestion, base: dict, record: dict | None, s: Setting | None, threshold: float) -> tuple[bool, bool, float]:
    """(confidently wrong, false refusal, seconds) of one question under a setting (None: today)."""
    if record is None:  # never in any band: today's answer
        return base["metrics"]["confidently_wrong"], q.answerable and base["refused"], base["timings"]["total_s"]
    p, refused, text = record["p"], record["refused"], record["text"]
    seconds = record["answer_s"] if p >= threshold else record["verdict_s"]
    if s is not None and s.lo <= p < s.hi:
        seconds = record["answer_s"] + sum(x["s"] for x in drawn(record, s))
        agrees = agreement(record, s) >= s.cut
        refused = refused or not agrees
    else:
        refused = refused or p < threshold
    wrong = not refused and (not q.answerable or (bool(q.answers) and not contains_answer(text, q.answers)))
    return wrong, q.answerable and refused, seconds


def score(sets: list[tuple[str, list[EvalQuestion], dict, dict]], s: Setting | None, threshold: float) -> dict:
    result = {}
    for name, questions, base, collected in sets:
        rows = [outcome(q, base[q.id], collected.get(q.id), s, threshold) for q in questions if q.id in base]
        wrong, refused = sum(r[0] for r in rows), sum(r[1] for r in rows)
        times = [r[2] for r in rows]
        result[name] = {"cw": wrong, "fr": refused, "cost": decision_cost(wrong, refused),
                        "p50": percentile(times, 50), "p90": percentile(times, 90)}
    return result


def grid(args) -> None:
    threshold = Settings.from_env().verdict_min_probability
    sets = []
    for spec in args.sets:
        name, questions, run = spec.split(":")
        base = {r["id"]: r for r in _records(Path(run))}
        collected = {r["id"]: r for r in _read(OUT / f"{name}.jsonl")}
        sets.append((name, load_questions(Path(questions)), base, collected))
    temperatures = sorted({x["t"] for _, _, _, c in sets for r in c.values() for x in r["samples"]})
    if args.temperatures:  # only temperatures every set was sampled at make comparable settings
        temperatures = [t for t in temperatures if t in {float(x) for x in args.temperatures.split(",")}]
    most = max((sum(x["t"] == temperatures[0] for x in r["samples"]) for _, _, _, c in sets for r in c.values()), default=1)
    measures = [m for m in (("meaning", (0.7, 0.8, 0.85, 0.9, 0.95)), ("cited", (0.5, 0.67, 1.0)), ("judged", (0.5, 0.7, 0.8, 0.9)))
                if all(m[0] in x for _, _, _, c in sets for r in c.values() for x in r["samples"] if x["t"] in temperatures)]
    today = score(sets, None, threshold)
    settings = [Setting(lo, hi, t, n, measure, cut)
                for lo in (0.3, 0.4, 0.45, 0.5, 0.55, threshold) for hi in (threshold, 0.65, 0.7, 0.75) if lo < hi
                for t in temperatures for n in range(1, most + 1)
                for measure, cuts in measures
                for cut in cuts]
    scored = [(s, score(sets, s, threshold)) for s in settings]
    rows = sorted(((sum(v["cost"] for v in r.values()), s, r) for s, r in scored), key=lambda row: (row[0], row[1].hi - row[1].lo, row[1].n))
    lines = [f"today (threshold {threshold}): " + _cells(today) + f"  summed cost {sum(v['cost'] for v in today.values())}"]
    for name, questions, base, collected in sets:
        share = len(collected) / len([q for q in questions if q.id in base])
        lines.append(f"  {name}: {len(collected)} questions collected ({share:.0%} of the set)")
    lines.append("")
    lines.append("best settings (summed cost; per set cost = 2 x confidently wrong + false refusals; time p50/p90 s):")
    for total, s, r in rows[:args.top]:
        better_everywhere = all(r[k]["cost"] < today[k]["cost"] for k in r)
        slower = max(r[k]["p50"] / today[k]["p50"] for k in r)
        lines.append(f"{total:4d}  band [{s.lo}, {s.hi}) T={s.t} n={s.n} {s.measure}>={s.cut}  " + _cells(r)
                     + f"  p50 x{slower:.2f} at most" + ("  lower on every set" if better_everywhere else ""))
    lines.append("")
    lines.append("best of each kind of band:")
    families = {"below the threshold only": lambda s: s.hi == threshold, "above it only": lambda s: s.lo == threshold,
                "across it": lambda s: s.lo < threshold < s.hi}
    for family, member in families.items():
        total, s, r = next(row for row in rows if member(row[1]))
        lines.append(f"  {family}: {total}  band [{s.lo}, {s.hi}) T={s.t} n={s.n} {s.measure}>={s.cut}  " + _cells(r))
    if len(sets) > 1:  # chosen on the other sets, scored on this one: what the grid's best is worth on a new set
        lines.append("")
        lines.append("leave one set out (the setting best on the others, scored on the one left out; today's cost in brackets):")
        for name, *_ in sets:
            _, s, r = min(((sum(v["cost"] for k, v in r.items() if k != name), s, r) for s, r in scored),
                          key=lambda row: (row[0], row[1].hi - row[1].lo, row[1].n))
            lines.append(f"  {name}: {r[name]['cost']} ({today[name]['cost']})  band [{s.lo}, {s.hi}) T={s.t} n={s.n} {s.measure}>={s.cut}")
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")


def _cells(result: dict) -> str:
    return " | ".join(f"{k}: {v['cost']} (CW {v['cw']}, FR {v['fr']}, {v['p50']:.1f}/{v['p90']:.1f} s)" for k, v in result.items())


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []


def _write(path: Path, records: list[dict]) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    partial.replace(path)


def _records(run: Path) -> list[dict]:
    return _read(run / "results.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("name")
    c.add_argument("questions", type=Path)
    c.add_argument("base_run", type=Path)
    c.add_argument("--corpus", type=Path, help="the collection the set was asked of (default: the settings')")
    c.add_argument("--index", type=Path, help="its built index (default: BASE_RUN/index)")
    c.add_argument("--from", dest="lo", type=float, default=0.3)
    c.add_argument("--to", dest="hi", type=float, default=0.75)
    c.add_argument("--limit", type=int, default=0, help="at most this many band questions (a fixed random subset)")
    c.add_argument("--temperatures", default="0.5,1.0")
    c.add_argument("--samples", type=int, default=3, help="samples at each temperature")
    g = sub.add_parser("grid")
    g.add_argument("sets", nargs="+", help="NAME:QUESTIONS:BASE_RUN")
    g.add_argument("--top", type=int, default=25)
    g.add_argument("--out", type=Path)
    g.add_argument("--temperatures", default="", help="only these sampling temperatures (comma-separated)")
    args = parser.parse_args()
    collect(args) if args.command == "collect" else grid(args)


if __name__ == "__main__":
    main()
