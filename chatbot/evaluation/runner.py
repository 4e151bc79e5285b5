"""Batch evaluation: every question through the chat's own code path, scored, resumable.

Writes into the output folder:
    run.json        the settings of the run (a resume must use the same)
    results.jsonl   one line per question, appended as each finishes (so a rerun resumes)
    summary.json    flat metrics; summary.md for notes; report.html, readable offline
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from ..answer.check import parse_answer
from ..answer.types import Answer, RefusalReason
from ..bot import Chatbot
from ..config import Settings
from ..errors import ChatbotError
from ..fileutils import atomic_write_text, file_sha256
from . import metrics as m
from .attribution import DESCRIPTION, ModelAttribution
from .questions import EvalQuestion, load_questions
from .report import write_reports


def run_eval(questions_path: Path, out_dir: Path, settings: Settings, limit: int | None = None,
             bot: Chatbot | None = None, progress: bool = True, parallel: int = 1) -> dict:
    """`parallel` questions are asked at once: worth it only with an engine that serves requests side by
    side (the `openai` engine); a local engine answers them one at a time anyway."""
    questions = load_questions(questions_path)[:limit] if limit else load_questions(questions_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    run_info = {"questions": str(questions_path), "questions_sha256": file_sha256(Path(questions_path)),
                "settings": _settings_record(settings)}
    _check_same_run(out_dir / "run.json", run_info)
    done = _read_results(out_dir / "results.jsonl")
    todo = [q for q in questions if q.id not in done]
    if done and progress:
        print(f"Resuming: {len(questions) - len(todo)} of {len(questions)} questions already answered in {out_dir}; skipping them.")
    if todo:
        bot = bot or Chatbot(settings)
        scorer = ModelAttribution(bot.generator)
        pool = ThreadPoolExecutor(max_workers=parallel)
        try:
            with open(out_dir / "results.jsonl", "a", encoding="utf-8") as out, \
                    tqdm(total=len(todo), desc="Evaluating", unit="q", disable=not progress) as bar:
                passed = sum(r["metrics"]["pass"] for r in done.values())
                # Only this thread writes: each record is appended whole, in question order.
                def answer(q: EvalQuestion) -> dict:
                    return score_question(q, bot.ask(q.question, q.history, docs=q.limit_docs or None,
                                                     tags=q.limit_tags or None), scorer)
                for record in pool.map(answer, todo):
                    done[record["id"]] = record
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    out.flush()
                    passed += record["metrics"]["pass"]
                    bar.update()
                    bar.set_postfix(passed=f"{passed}/{len(done)}", last_s=f"{record['timings']['total_s']:.1f}")
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # an error or Ctrl-C: the questions not begun are dropped
    results = [done[q.id] for q in questions]
    summary = summarise(results, settings)
    write_reports(out_dir, summary, results)
    return summary


def score_question(q: EvalQuestion, answer: Answer, scorer: ModelAttribution) -> dict:
    retrieved_texts = [r.chunk.text for r in answer.retrieved]
    ranks = m.evidence_ranks(q.evidence, retrieved_texts)
    cited_docs = sorted({c.doc_id for c in answer.citations})
    final_sources = {c.n: c.text for c in answer.citations}
    raw_sources = {r.rank: r.chunk.text for r in answer.retrieved}  # the prompt numbered sources by rank
    final_recall, final_precision = _citation_quality(answer.text, final_sources, scorer) if not answer.refused else (None, None)
    model_wrote_answer = answer.raw_text and answer.refusal_reason != RefusalReason.MODEL_REFUSED
    raw_recall, raw_precision = _citation_quality(answer.raw_text, raw_sources, scorer) if model_wrote_answer else (None, None)
    cited_gold = m.cites_gold_doc(cited_docs, q.docs)
    metrics = {
        "evidence_ranks": ranks,
        "evidence_hit": any(r is not None for r in ranks) if q.evidence else None,
        "evidence_recall": sum(r is not None for r in ranks) / len(ranks) if ranks else None,
        "doc_recall": m.doc_recall(q.docs, [r.chunk.doc_id for r in answer.retrieved]) if q.docs else None,
        "reciprocal_rank": m.reciprocal_rank(ranks) if q.evidence else None,
        "answer_f1": (0.0 if answer.refused else _best_f1(answer.text, q)) if q.answerable else None,
        "contains_answer": (not answer.refused and m.contains_answer(answer.text, q.answers)) if q.answerable and q.answers else None,
        # The worst outcome: an answer where the documents hold none, or (where accepted answers are known) a wrong one.
        "confidently_wrong": not answer.refused and (not q.answerable or (bool(q.answers) and not m.contains_answer(answer.text, q.answers))),
        "cited_gold_doc": cited_gold if q.answerable and not answer.refused else None,
        "citation_recall": final_recall, "citation_precision": final_precision,
        "raw_citation_recall": raw_recall, "raw_citation_precision": raw_precision,
        "pass": (not answer.refused and cited_gold) if q.answerable else answer.refused,
    }
    # The answer's own record (as `ask --json` prints it), the question it was scored against, the scores.
    return {**answer.to_json(), "id": q.id, "history": q.history, "answerable": q.answerable,
            "reference": q.answer, "docs": q.docs, "evidence": q.evidence, "metrics": metrics}


def _best_f1(text: str, q: EvalQuestion) -> float:
    return max(m.token_f1(text, reference) for reference in (q.answers or [q.answer]))


def _citation_quality(text: str, sources: dict[int, str], scorer: ModelAttribution) -> tuple[float | None, float | None]:
    per_sentence = []
    for sentence in parse_answer(text):
        cited = [n for n in sentence.cited if n in sources]
        each = [n in sources and scorer.supports(sentence.text, sources[n]) for n in sentence.cited]  # a missing source never supports
        # One cited passage: together is that passage alone (asked once).
        together = bool(cited) and (each[sentence.cited.index(cited[0])] if len(cited) == 1
                                    else scorer.supports(sentence.text, "\n\n".join(sources[n] for n in cited)))
        per_sentence.append((together, each))
    return m.citation_scores(per_sentence)


def summarise(results: list[dict], settings: Settings) -> dict:
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    with_evidence = [r for r in answerable if r["evidence"]]
    answered = [r for r in answerable if not r["refused"]]
    col = lambda rows, key: [r["metrics"][key] for r in rows if r["metrics"][key] is not None]
    latencies = [r["timings"]["total_s"] for r in results]
    ttfts = [r["timings"]["ttft_s"] for r in results if r["timings"]["ttft_s"] > 0]
    all_ranks = [rank for r in with_evidence for rank in r["metrics"]["evidence_ranks"]]
    summary = {
        "n": len(results), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable),
        "k": settings.retrieval.top_k,
        "evidence_hit_at_k": m.mean([float(x) for x in col(with_evidence, "evidence_hit")]),
        "evidence_recall_at_k": sum(r is not None for r in all_ranks) / len(all_ranks) if all_ranks else None,
        "doc_recall_at_k": m.mean(col(answerable, "doc_recall")),
        "mrr": m.mean(col(with_evidence, "reciprocal_rank")),
        "answer_f1": m.mean(col(answerable, "answer_f1")),
        "cited_doc_accuracy": m.mean([float(x) for x in col(answered, "cited_gold_doc")]),
        "citation_recall": m.mean(col(results, "citation_recall")),
        "citation_precision": m.mean(col(results, "citation_precision")),
        "raw_citation_recall": m.mean(col(results, "raw_citation_recall")),
        "raw_citation_precision": m.mean(col(results, "raw_citation_precision")),
        "confidently_wrong": sum(r["metrics"].get("confidently_wrong", False) for r in results),
        "false_refusals": sum(r["refused"] for r in answerable),
        "confidently_wrong_rate": m.mean([float(r["metrics"].get("confidently_wrong", False)) for r in results]),
        "answer_contains_gold": m.mean([float(x) for x in col(answerable, "contains_answer")]),
        "refusal_recall": m.mean([float(r["refused"]) for r in unanswerable]),
        "false_refusal_rate": m.mean([float(r["refused"]) for r in answerable]),
        "pass_rate": m.mean([float(r["metrics"]["pass"]) for r in results]),
        "latency_p50_s": m.percentile(latencies, 50), "latency_p95_s": m.percentile(latencies, 95),
        "ttft_p50_s": m.percentile(ttfts, 50),
        "first_sentence_p50_s": m.percentile([r["timings"].get("first_sentence_s", 0.0) for r in results
                                              if r["timings"].get("first_sentence_s", 0.0) > 0], 50),
        "tokens_generated_p50": m.percentile([r["timings"]["tokens_generated"] for r in results], 50),
        "refusals_by_reason": _refusals_by_reason(results),
        # Answers that first only restated the question, and of those, how many the second try made answers.
        "retried": sum(r["trace"].get("retried", False) for r in results),
        "retried_then_answered": sum(r["trace"].get("retried", False) and not r["refused"] for r in results),
        "citation_scorer": DESCRIPTION,
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    summary["cost"] = m.decision_cost(summary["confidently_wrong"], summary["false_refusals"])
    summary.update({f"setting_{k}": v for k, v in _settings_record(settings).items()})
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def _refusals_by_reason(results: list[dict]) -> dict[str, dict[str, int]]:
    """For each refusal reason: how many answerable (false refusals) and unanswerable questions it refused."""
    table: dict[str, dict[str, int]] = {}
    for r in results:
        if r["refused"]:
            row = table.setdefault(r["refusal_reason"] or "unknown", {"answerable": 0, "unanswerable": 0})
            row["answerable" if r["answerable"] else "unanswerable"] += 1
    return dict(sorted(table.items()))


def _settings_record(settings: Settings) -> dict:
    """The settings that shape the answers (not where the files live)."""
    return {k: v for k, v in settings.flat().items() if k not in ("corpus_dir", "index_dir", "model_cache_dir")}


def _check_same_run(path: Path, run_info: dict) -> None:
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if previous.get("settings") != run_info["settings"]:
            changed = sorted(k for k in run_info["settings"] if previous.get("settings", {}).get(k) != run_info["settings"][k])
            raise ChatbotError(f"{path.parent} holds results made with other settings ({', '.join(changed)}); use another --out folder.")
        if previous.get("questions_sha256") != run_info["questions_sha256"]:
            raise ChatbotError(f"{path.parent} holds answers to another question file (or an earlier version of "
                               f"{Path(run_info['questions']).name}); use another --out folder.")
        return
    atomic_write_text(path, json.dumps({**run_info, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2))


def _read_results(path: Path) -> dict[str, dict]:
    """Answered questions by id; a line cut off by a killed run is dropped (the question reruns)."""
    if not path.exists():
        return {}
    done, valid = {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        done[record["id"]] = record
        valid.append(line)
    if len(valid) != len(path.read_text(encoding="utf-8").splitlines()):
        atomic_write_text(path, "".join(line + "\n" for line in valid))  # never a half-rewritten file
    return done
