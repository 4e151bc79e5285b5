"""Evaluation reports: summary.json, summary.md and a self-contained report.html (plots inlined as PNG)."""
from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from ..fileutils import atomic_write_text
from .metrics import decision_cost

# Metrics shown in the tables and bar plot, with whether higher is better.
HEADLINE = [
    ("cost", False), ("confidently_wrong", False), ("false_refusals", False), ("confidently_wrong_rate", False), ("answer_contains_gold", True),
    ("evidence_hit_at_k", True), ("evidence_recall_at_k", True), ("doc_recall_at_k", True), ("mrr", True),
    ("answer_f1", True), ("cited_doc_accuracy", True), ("citation_recall", True), ("citation_precision", True),
    ("raw_citation_recall", True), ("raw_citation_precision", True), ("refusal_recall", True),
    ("false_refusal_rate", False), ("pass_rate", True), ("latency_p50_s", False), ("latency_p95_s", False),
    ("ttft_p50_s", False), ("first_sentence_p50_s", False),
]


def write_reports(out_dir: Path, summary: dict, results: list[dict]) -> None:
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2))
    atomic_write_text(out_dir / "summary.md", summary_markdown(summary))
    atomic_write_text(out_dir / "report.html", report_html(summary, results))


def summary_markdown(summary: dict) -> str:
    lines = [f"Evaluation of {summary['n']} questions ({summary['n_answerable']} answerable, "
             f"{summary['n_unanswerable']} unanswerable), k={summary['k']}, {summary['evaluated_at']}", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {_fmt(summary.get(name))} |" for name, _ in HEADLINE]
    lines += ["", "Confidently wrong = answered an unanswerable question, or (where accepted answers are given) "
              "answered without any of them.", "", "| refusal reason | answerable (false refusals) | unanswerable |", "|---|---|---|"]
    lines += [f"| {reason} | {row['answerable']} | {row['unanswerable']} |" for reason, row in summary.get("refusals_by_reason", {}).items()]
    if "retried" in summary:
        lines += ["", f"Second tries (the first answer only restated the question): {summary['retried']}, "
                      f"of which {summary['retried_then_answered']} answered."]
    lines += ["", "Cost = 2 × confidently wrong + false refusals (what chose the defaults).",
              f"Citation scorer: {summary.get('citation_scorer', '')}.", _meaning_note(summary), ""]
    return "\n".join(lines)


def report_html(summary: dict, results: list[dict]) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(name)}</th><td>{_fmt(summary.get(name))}</td></tr>" for name, _ in HEADLINE)
    settings = "".join(f"<tr><th>{e(k[8:])}</th><td>{e(str(v))}</td></tr>" for k, v in summary.items() if k.startswith("setting_"))
    questions = "".join(_question_row(r) for r in results)
    reasons = "".join(f"<tr><th>{e(reason)}</th><td>{row['answerable']}</td><td>{row['unanswerable']}</td></tr>"
                      for reason, row in summary.get("refusals_by_reason", {}).items())
    plots = "".join(f'<figure><img alt="{e(title)}" src="data:image/png;base64,{png}"><figcaption>{e(title)}</figcaption></figure>'
                    for title, png in _plots(summary, results))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1200px; }}
table {{ border-collapse: collapse; margin: 1rem 0; }} th, td {{ border: 1px solid #ccc; padding: .35rem .6rem; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} .pass {{ color: #1b7f3b; font-weight: bold; }} .fail {{ color: #b3261e; font-weight: bold; }}
figure {{ display: inline-block; margin: .5rem; }} img {{ max-width: 560px; }} .small {{ color: #666; font-size: .9em; }}
</style></head><body>
<h1>Evaluation report</h1>
<p>{summary['n']} questions ({summary['n_answerable']} answerable, {summary['n_unanswerable']} unanswerable), k={summary['k']}, evaluated {e(summary['evaluated_at'])}.</p>
<h2>Summary</h2><table>{rows}</table>
<p class="small">Confidently wrong: answered an unanswerable question, or (where accepted answers are given) answered without any of them.</p>
<h2>Refusals by reason</h2><table><tr><th>reason</th><th>answerable (false refusals)</th><th>unanswerable</th></tr>{reasons}</table>
<p class="small">Cost = 2 × confidently wrong + false refusals (what chose the defaults). Citation scorer:
{e(summary.get('citation_scorer', ''))}. citation_recall/precision score the final answers, raw_citation_* the model's
own citations before the engine's checks. {e(_meaning_note(summary))}</p>
<h2>Settings</h2><table>{settings}</table>
<h2>Plots</h2>{plots}
<h2>Questions</h2>
<table><tr><th>id</th><th>question</th><th>answer</th><th>reference</th><th>result</th></tr>{questions}</table>
</body></html>
"""


def _question_row(r: dict) -> str:
    e = html.escape
    mark = '<span class="pass">pass</span>' if r["metrics"]["pass"] else '<span class="fail">fail</span>'
    expected = "answer" if r["answerable"] else "refusal"
    history = f'<div class="small">after {len(r["history"]) // 2} earlier turn(s); asked as: {e(r["standalone_question"])}</div>' if r["history"] else ""
    cites = "".join(f'<div class="small">[{c["n"]}] {e(c["doc"])} — {e(c["section"])}</div>' for c in r["citations"])
    ranks = r["metrics"]["evidence_ranks"]
    detail = f'<div class="small">expected {expected}; evidence ranks {ranks}; F1 {_fmt(r["metrics"]["answer_f1"])}; {r["timings"]["total_s"]:.1f} s</div>'
    refused = f'<div class="small">refused: {e(r["refusal_reason"])}</div>' if r["refused"] else ""
    return (f"<tr><td>{e(r['id'])}</td><td>{e(r['question'])}{history}</td><td>{e(r['answer'])}{cites}{refused}</td>"
            f"<td>{e(r['reference'])}<div class=\"small\">{e(', '.join(r['docs']))}</div></td><td>{mark}{detail}</td></tr>")


def _plots(summary: dict, results: list[dict]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = []
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist([r["timings"]["total_s"] for r in results], bins=15, color="#4a78a8")
    ax.set_xlabel("seconds per question"), ax.set_ylabel("questions")
    plots.append(("Latency distribution", _png(fig, plt)))

    names = [n for n, _ in HEADLINE if not n.endswith("_s") and summary.get(n) is not None]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.barh(names, [summary[n] for n in names], color="#5b9a68")
    ax.set_xlim(0, 1), ax.invert_yaxis()
    plots.append(("Metrics (0–1)", _png(fig, plt)))

    firsts = [min([x for x in r["metrics"]["evidence_ranks"] if x is not None], default=None) for r in results if r["evidence"]]
    labels = [str(i) for i in range(1, summary["k"] + 1)] + ["miss"]
    counts = [sum(f == i for f in firsts) for i in range(1, summary["k"] + 1)] + [sum(f is None for f in firsts)]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.bar(labels, counts, color="#a86f4a")
    ax.set_xlabel("rank of the first retrieved chunk holding evidence"), ax.set_ylabel("questions")
    plots.append(("Retrieval rank of the first evidence hit", _png(fig, plt)))
    return plots


def _png(fig, plt) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def compare(summary_a: dict, summary_b: dict, results_a: list[dict], results_b: list[dict]) -> str:
    """Metric deltas B − A and the questions whose pass/fail changed, as plain text."""
    summary_a, summary_b = _with_cost(summary_a, results_a), _with_cost(summary_b, results_b)
    lines = [f"{'metric':<24}{'A':>10}{'B':>10}{'B − A':>10}"]
    for name, higher_is_better in HEADLINE:
        a, b = summary_a.get(name), summary_b.get(name)
        if a is None and b is None:
            continue
        delta = b - a if a is not None and b is not None else None
        better = "" if not delta else ("  better" if (delta > 0) == higher_is_better else "  worse")
        lines.append(f"{name:<24}{_fmt(a):>10}{_fmt(b):>10}{_fmt(delta):>10}{better}")
    by_id_a = {r["id"]: r for r in results_a}
    changed = [(r["id"], by_id_a[r["id"]], r) for r in results_b if r["id"] in by_id_a
               and by_id_a[r["id"]]["metrics"]["pass"] != r["metrics"]["pass"]]
    lines.append("")
    lines.append(f"{len(changed)} question(s) changed outcome:" if changed else "No question changed outcome.")
    for qid, a, b in changed:
        verdict = lambda r: "pass" if r["metrics"]["pass"] else f"fail ({r['refusal_reason'] or 'answered'})"
        lines.append(f"  {qid}: {verdict(a)} -> {verdict(b)}  {b['question']}")
    return "\n".join(lines)


def _with_cost(summary: dict, results: list[dict]) -> dict:
    """Runs made before the cost was reported get it from their own results."""
    if "cost" in summary:
        return summary
    false_refusals = sum(r["refused"] for r in results if r["answerable"])
    return {**summary, "false_refusals": false_refusals, "cost": decision_cost(summary.get("confidently_wrong", 0), false_refusals)}


def _meaning_note(summary: dict) -> str:
    threshold = summary.get("setting_meaning_min_yes", 0)
    return f"Every answer sentence also passed the model's meaning check (P(yes) >= {threshold})." if threshold else ""
