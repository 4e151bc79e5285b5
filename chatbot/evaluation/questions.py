"""The question-set format (JSON Lines), read and checked before any question runs."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..answer.screen import history_problem
from ..errors import ChatbotError


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answerable: bool
    answer: str = ""
    evidence: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # every accepted answer span (SQuAD style), when the set has them
    limit_docs: list[str] = field(default_factory=list)  # the question is asked limited to these documents…
    limit_tags: list[str] = field(default_factory=list)  # …or to documents with these tags (chosen sources)


def load_questions(path: Path) -> list[EvalQuestion]:
    """All questions, or a ChatbotError naming the first bad line: a run never starts half-broken."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ChatbotError(f"Could not read the question file {path} ({exc}); check the path.") from None
    questions, seen = [], set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{Path(path).name} line {number}"
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ChatbotError(f"{where} is not valid JSON ({exc.msg}); fix that line.") from None
        questions.append(_question(row, where))
        if questions[-1].id in seen:
            raise ChatbotError(f"{where} repeats the id {questions[-1].id!r}; give every question its own id.")
        seen.add(questions[-1].id)
    if not questions:
        raise ChatbotError(f"{path} holds no questions; add one JSON object per line.")
    return questions


def _question(row: object, where: str) -> EvalQuestion:
    if not isinstance(row, dict):
        raise ChatbotError(f"{where} is not a JSON object; each line must be one question object.")
    for key, kind in (("id", str), ("question", str), ("answerable", bool)):
        if not isinstance(row.get(key), kind):
            raise ChatbotError(f"{where} needs {key!r} as a {kind.__name__}; add or fix it.")
    for key in ("evidence", "docs", "history", "answers", "limit_docs", "limit_tags"):
        if not isinstance(row.get(key, []), list):
            raise ChatbotError(f"{where} has {key!r} that is not a list; make it a JSON list.")
    problem = history_problem(row.get("history"))
    if problem:
        raise ChatbotError(f"{where}: {problem}; fix it.")
    if row["answerable"] and not row.get("docs"):
        raise ChatbotError(f"{where} is answerable but lists no 'docs'; name the files that hold the answer.")
    return EvalQuestion(row["id"], row["question"], row["answerable"], str(row.get("answer", "")),
                        list(row.get("evidence", [])), list(row.get("docs", [])), list(row.get("history", [])),
                        [str(a) for a in row.get("answers", [])], [str(d) for d in row.get("limit_docs", [])],
                        [str(t) for t in row.get("limit_tags", [])])
