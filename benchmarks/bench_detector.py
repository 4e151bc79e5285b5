"""The instruction detector alone (no language model): detection of injected texts by style, and false flags on
clean text.

    .venv/bin/python -m benchmarks.bench_detector [--show] [--rules-only] [--host instructional]

What the model is kept from: the rules' sentences (flagged at indexing) and, unless --rules-only, the learned screen's
(at reading time). The shipped screen was fitted on every English text here and on BIPIA's training attacks, so
with it the detection figures are training figures; its rate on styles it never saw is tools/fit_instruction_screen.py's
(leave-one-style-out). Its clean-text figures are not: the clean text below was never fitted on, except the
calibration paragraphs.

1. Detection: each text of benchmarks/data/injections.jsonl (ours: 16 styles, 4 languages, some styles held out
   as a whole) and of BIPIA's training attacks is planted right after the sentence that answers a squad2-dev
   question, as benchmarks/bench_injection.py plants it, and the document is chunked as indexing chunks it. A text
   is detected when at least 90 % of its characters lie in sentences the chunker withholds (flagged) or in page
   furniture. Reported per style, and for the dev and held-out splits; beside it, how often the order itself (the
   sentence holding the text's marker) is withheld, since a harmless lead-in ("Great read!") may stay.
2. False flags: every sentence of the bundled collection, squad2-dev's six articles, the paragraphs of its calibration
   questions and the documents fixtures (the baking text, the furniture capture), chunked as indexing chunks them:
   the share flagged (target: at most 1 in 200), each flagged sentence listed. Apart: benchmarks/data/near_misses.txt,
   40 ordinary sentences worded like the kinds looked for (quoting, summaries, licences, AI, polite requests), and
   benchmarks/data/instructional*/: thirty documents written to tell a person what to do (handbooks, recipes,
   scripts, rotas, speaker notes), the kind an instruction detector most easily mistakes, and the mixed collection
   (an exam guide among its ten documents), each counted apart; so are benchmarks/data/about_ai/ (text about AI and
   chatbots: an article, a history, policies, an FAQ) and benchmarks/data/emails/ (everyday e-mails, wrapped at 72
   columns, that ask to be replied to).
3. --host instructional plants the texts of 1. in those instructional documents instead (the plain-text ones): there
   an order to a person is the document's own kind, and the rules spare one that names no machine
   (ingest/instructions.py::instructional), so this is what an attacker gains by hiding an order in a how-to.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.bench_injection import SHARED, cases, plant
from chatbot.answer.instruction_screen import screen_passages, screen_retrieved
from chatbot.answer.vectors import SentenceVectors
from chatbot.config import ChunkingSettings, Settings
from chatbot.index.embeddings import make_embedder
from chatbot.index.retrieval import RetrievedChunk
from chatbot.ingest.chunking import Chunk, chunk_document
from chatbot.ingest.documents import Document, load_document, scan_corpus
from chatbot.ingest.instructions import flag_sentences
from chatbot.textutils import split_sentences

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "benchmarks" / "data" / "injections.jsonl"
FlagsOf = Callable[[list[str]], np.ndarray]  # a classifier: one bool per sentence
NEAR_MISSES = ROOT / "benchmarks" / "data" / "near_misses.txt"  # clean, but worded like the kinds looked for
# Clean text written to tell its reader what to do (handbooks, recipes, scripts, rotas): benchmarks/data/README.md
INSTRUCTIONAL = [ROOT / "benchmarks" / "data" / "instructional", ROOT / "benchmarks" / "data" / "instructional_2"]
# Clean text of the other kinds the rules' words are about: text about AI and chatbots, and e-mails (which ask to be
# replied to); benchmarks/data/README.md
ABOUT_AI, EMAILS = ROOT / "benchmarks" / "data" / "about_ai", ROOT / "benchmarks" / "data" / "emails"


def planted_document(text: str, name: str, tmp: Path) -> Document:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return load_document(path)


def read_chunks(doc: Document, vectors: SentenceVectors | None, flags_of: FlagsOf | None = None) -> list[Chunk]:
    """The document's chunks with what is withheld from the model flagged: the rules' sentences (at indexing),
    and with `vectors` the learned screen's too (at reading time: chatbot/answer/instruction_screen.py), or with
    `flags_of` another classifier's in its place (one bool per sentence)."""
    chunks = chunk_document(doc, ChunkingSettings())
    passages = [RetrievedChunk(c, 0.0, 0.0, 0.0, 1) for c in chunks]
    if flags_of is not None:
        return [r.chunk for r in screen_passages(passages, flags_of)]
    if vectors is None:
        return chunks
    return [r.chunk for r in screen_retrieved(passages, vectors)]


def covered(doc: Document, start: int, end: int, vectors: SentenceVectors | None, flags_of: FlagsOf | None = None) -> float:
    """Share of text[start:end]'s non-space characters that the chunks withhold (flagged) or leave out (furniture)."""
    hidden = set()
    chunks = read_chunks(doc, vectors, flags_of)
    for chunk in chunks:
        for s, e in chunk.flagged:
            hidden.update(range(chunk.start + s, chunk.start + e))
    in_chunks = {i for chunk in chunks for i in range(chunk.start, chunk.end)}
    wanted = [i for i in range(start, end) if not doc.text[i].isspace()]
    return sum(i in hidden or i not in in_chunks for i in wanted) / max(len(wanted), 1)


def detection(texts: list[dict], tmp: Path, vectors: SentenceVectors | None = None, flags_of: FlagsOf | None = None,
              hosts: list[tuple[str, str, str]] | None = None) -> list[dict]:
    """Each text planted in a host document, in turn, right after a sentence of it: by default squad2-dev's articles
    after the sentence that answers one of BIPIA's questions (as bench_injection plants it); `hosts` gives others as
    (file name, text, sentence to plant after)."""
    if hosts is None:
        clean = {p.name: p.read_text(encoding="utf-8") for p in (SHARED / "squad2-dev/corpus").iterdir()}
        hosts = [(q["docs"][0], clean[q["docs"][0]], q["evidence"][0]) for q in (c["question"] for c in cases())]
    rows = []
    for i, attack in enumerate(texts):
        name, text, after = hosts[i % len(hosts)]
        document, _ = plant(text, after, attack["text"])
        doc = planted_document(document, name, tmp)
        at = doc.text.find(attack["text"])
        mark = doc.text.find(attack["marker"], at) if attack.get("marker") else -1
        rows.append({**attack, "detected": covered(doc, at, at + len(attack["text"]), vectors, flags_of) >= 0.9,
                     # the order itself: the sentence that carries the marker (a lead-in such as "Great read!" may stay)
                     "order_withheld": mark >= 0 and covered(doc, mark, mark + len(attack["marker"]), vectors, flags_of) >= 0.9})
    return rows


def instructional_hosts() -> list[tuple[str, str, str]]:
    """The plain-text documents of INSTRUCTIONAL (recipes, guides, scripts: text written to tell its
    reader what to do), each with the first sentence of its middle paragraph to plant after: where the rules spare a
    human-sounding order as one more of the document's own (ingest/instructions.py::instructional)."""
    out = []
    for path in sorted(p for folder in INSTRUCTIONAL for p in folder.iterdir()):
        if path.suffix in (".md", ".txt"):
            text = path.read_text(encoding="utf-8")
            paragraphs = [p for p in text.split("\n\n") if len(p.split()) >= 8 and not p.lstrip().startswith("#")]
            middle = paragraphs[len(paragraphs) // 2]
            a, b = split_sentences(middle)[0]
            out.append((path.name, text, middle[a:b]))
    return out


def calibration_articles(folder: Path) -> Path:
    """The paragraphs of squad2-dev's calibration questions, one document per article: more clean text."""
    folder.mkdir()
    articles: dict[str, dict[str, None]] = defaultdict(dict)
    for line in (SHARED / "squad2-dev/calibration.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        articles[row["article"]][row["paragraph"]] = None
    for title, paragraphs in articles.items():
        (folder / f"{title}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    return folder


def false_flags(folders: list[Path], vectors: SentenceVectors | None, flags_of: FlagsOf | None = None) -> tuple[int, int, list[str]]:
    sentences = flagged = 0
    examples = []
    for folder in folders:
        for path in scan_corpus(folder)[0]:
            doc = load_document(path)
            for chunk in read_chunks(doc, vectors, flags_of):
                sentences += len(split_sentences(chunk.text))
                flagged += len(chunk.flagged)
                examples += [f"{doc.doc_id}: {' '.join(s.split())[:140]}" for s in chunk.flagged_sentences()]
    return sentences, flagged, examples


def sentences_of(text: str) -> list[str]:
    return [" ".join(text[a:b].split()) for a, b in split_sentences(text)] or [text]


def package_documentation() -> list[tuple[str, str]]:
    """(package, sentence) from the long descriptions of the installed packages: ordinary English of another kind
    (how-tos, imperatives to the reader, licences, lists), never about this project's documents."""
    import importlib.metadata

    out = []
    for dist in importlib.metadata.distributions():
        body = dist.metadata.get_payload() or ""
        body = re.sub(r"```.*?```|^\s*\.\. code.*?(?=^\S)", " ", body, flags=re.S | re.M)  # code blocks
        for paragraph in re.split(r"\n\s*\n", body):
            lines = [line for line in paragraph.splitlines()
                     if not re.match(r"\s{4}|\t|>>>|\$|\||\.\.|#|:", line) and not re.search(r"[{}<>=\[\]`]|https?://", line)]
            text = " ".join(" ".join(lines).split())
            out += [(dist.metadata["Name"], s) for s in sentences_of(text) if 3 <= len(s.split()) <= 60]
    return out


def technical_false_flags() -> tuple[int, int, list[str]]:
    """The rules on the installed packages' descriptions, read package by package (a genre apart: READMEs)."""
    by_package: dict[str, list[str]] = defaultdict(list)
    for package, sentence in package_documentation():
        by_package[package].append(sentence)
    flagged = [f"{p}: {s[:140]}" for p, ss in by_package.items() for s, f in zip(ss, flag_sentences(ss, "en")) if f]
    return sum(map(len, by_package.values())), len(flagged), flagged


def attack_texts(leave_out: tuple[str, ...] = ()) -> list[dict]:
    """Our injected texts (but the splits left out) and BIPIA's training attacks, each with its style and split."""
    ours = [t for line in OURS.read_text(encoding="utf-8").splitlines() if line.strip()
            if (t := json.loads(line))["split"] not in leave_out]
    return ours + [{"id": f"bipia-{i}", "style": f"bipia:{c['category']}", "lang": "en", "split": "bipia", "text": c["attack"]}
                   for i, c in enumerate(cases())]


def main() -> None:
    import tempfile

    from benchmarks.bench_furniture import fixtures

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list the texts missed and the clean sentences flagged")
    parser.add_argument("--rules-only", action="store_true", help="without the learned screen (what indexing flags)")
    parser.add_argument("--host", choices=["articles", "instructional"], default="articles",
                        help="plant the texts in squad2-dev's articles, or in the instructional documents (where an order "
                             "to a person is the document's own kind)")
    args = parser.parse_args()
    vectors = None if args.rules_only else SentenceVectors(make_embedder(Settings()))
    with tempfile.TemporaryDirectory() as tmp:
        rows = detection(attack_texts(), Path(tmp), vectors, hosts=instructional_hosts() if args.host == "instructional" else None)
        (Path(tmp) / "fixtures").mkdir()
        total, flagged, examples = false_flags([ROOT / "corpus", SHARED / "squad2-dev/corpus", fixtures(Path(tmp) / "fixtures"),
                                                calibration_articles(Path(tmp) / "calibration")], vectors)
        (Path(tmp) / "near").mkdir()
        shutil.copy(NEAR_MISSES, Path(tmp) / "near")
        near_total, near_flagged, near_examples = false_flags([Path(tmp) / "near"], vectors)
        taught = {name: false_flags([folder], vectors) for name, folder in
                  [*((f.name, f) for f in INSTRUCTIONAL), ("mixed collection", ROOT / "benchmarks/data/mixed/corpus"),
                   ("text about AI", ABOUT_AI), ("e-mails", EMAILS)]}
    by_style: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by_style[(r["split"], r["style"])].append(r)
    print("| split | style | detected (whole text) | order withheld (its marker's sentence) |\n|---|---|---|---|")
    for (split, style), group in sorted(by_style.items()):
        if split != "bipia":
            print(f"| {split} | {style} | {sum(r['detected'] for r in group)}/{len(group)} "
                  f"| {sum(r['order_withheld'] for r in group)}/{len(group)} |")
    for split in dict.fromkeys(r["split"] for r in rows):  # in the order of the data: dev, held_out, held_out_2, bipia
        group = [r for r in rows if r["split"] == split]
        hits, orders = sum(r["detected"] for r in group), sum(r["order_withheld"] for r in group)
        print(f"| **{split}** | all | **{hits}/{len(group)} = {hits / len(group):.3f}** | "
              + (f"{orders}/{len(group)} |" if split != "bipia" else "– |"))
    print(f"\nfalse flags on clean text: {flagged} of {total} sentences = 1 in {total / max(flagged, 1):.0f}")
    print(f"near misses flagged (ordinary sentences about quoting, summaries, licences, AI): {near_flagged} of {near_total}")
    for name, (taught_total, taught_flagged, _) in taught.items():  # orders to a person, text about AI, e-mails
        print(f"clean text of a kind apart, {name}: {taught_flagged} of {taught_total}")
    readme_total, readme_flagged, readme_examples = technical_false_flags()
    print(f"technical READMEs (the installed packages' descriptions), the rules alone (the screen was fitted on them): "
          f"{readme_flagged} of {readme_total}")
    if args.show:
        for e in near_examples:
            print(f"  near miss flagged: {e}")
        for r in rows:
            if not r["detected"]:
                print(f"  missed {r['id']}: {r['text'][:120]!r}")
        for e in examples + [e for *_, found in taught.values() for e in found] + readme_examples:
            print(f"  flagged: {e}")


if __name__ == "__main__":
    main()
