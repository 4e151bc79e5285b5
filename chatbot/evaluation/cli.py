"""`python -m chatbot eval` and `eval-compare`."""
from __future__ import annotations

import json
from pathlib import Path

from ..config import Settings
from ..errors import ChatbotError


def add_eval_commands(sub) -> None:
    p = sub.add_parser("eval", help="run a question set through the engine and write a scored report")
    p.add_argument("questions", type=Path, help="JSON Lines question file, e.g. eval/questions.jsonl")
    p.add_argument("--out", type=Path, required=True, help="output folder (a rerun into it resumes)")
    p.add_argument("--k", type=int, help="number of passages given to the model")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--parallel", type=int, default=1, help="questions asked at once (for CHATBOT_ENGINE=openai with a "
                   "server that has parallel slots; a local engine answers one at a time)")
    p.add_argument("--corpus", type=Path, help="ask another collection (a folder of documents); its index is built "
                   "or brought up to date in OUT/index")
    p.set_defaults(run=_eval)

    p = sub.add_parser("eval-compare", help="metric deltas and changed questions between two eval folders")
    p.add_argument("dir_a", type=Path)
    p.add_argument("dir_b", type=Path)
    p.set_defaults(run=_compare)


def _eval(args, settings: Settings) -> int:
    from .report import summary_markdown
    from .runner import run_eval

    bot = None
    if args.corpus:
        if not args.corpus.is_dir():
            raise ChatbotError(f"--corpus {args.corpus} is not a folder; give the folder that holds the documents.")
        from ..bot import Chatbot

        settings = settings.replace(corpus_dir=args.corpus, index_dir=args.out / "index")
        args.out.mkdir(parents=True, exist_ok=True)
        bot = Chatbot.up_to_date(settings)
    if not 1 <= args.parallel <= 64:
        raise ChatbotError(f"--parallel is {args.parallel}; give a number of questions from 1 to 64.")
    summary = run_eval(args.questions, args.out, settings, limit=args.limit, bot=bot, parallel=args.parallel)
    print(summary_markdown(summary))
    print(f"Report: {args.out / 'report.html'}")
    return 0


def _compare(args, settings: Settings) -> int:
    from .report import compare

    loaded = [_load_run(d) for d in (args.dir_a, args.dir_b)]
    print(compare(loaded[0][0], loaded[1][0], loaded[0][1], loaded[1][1]))
    return 0


def _load_run(folder: Path) -> tuple[dict, list[dict]]:
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        results = [json.loads(line) for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise ChatbotError(f"{folder} does not hold a finished evaluation ({exc}); run `python -m chatbot eval ... --out {folder}` first.") from None
    return summary, results
