"""Text helpers shared by several stages: sentence spans (chunking, citation checks) and keyword tokens (BM25, support judge)."""
from __future__ import annotations

import re
from functools import lru_cache

import bm25s
import Stemmer

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space, or at a line break.
# A citation marker right after the stop ("… was no more.[citation needed] The next…") belongs to the sentence.
# Chinese and Japanese full stops end a sentence with no space after them; so do the Devanagari danda (Hindi,
# Marathi, Nepali), the Arabic question mark, the Urdu full stop, and the Armenian, Ethiopic, Khmer and Burmese
# full stops. Thai and Lao have no full stop (a space ends a sentence): a run of their letters ends one where a sentence
# in Latin letters follows, its second word in lower case and three words at least up to its own stop ("…ดีที่สุด The
# pier reopened in May."); capitalised words before it are the Thai sentence's own last name ("…โดย Lotus Lab Boats leave…").
_NO_SPACE_SCRIPT = "\u0e00-\u0eff"
_END = re.compile(r"[.!?][\"'”’)\]]*(\[[^\]\n]{1,30}\][\"'”’)]*)?(?=\s)|[。．！？।॥؟۔։።។။][”’」』）]*|\n"
                  rf"|(?<=[{_NO_SPACE_SCRIPT}])(\s+[A-Z][\w&'-]*(?=\s+[A-Z]))*"
                  rf"(?=\s+[A-Z][a-z']*\s+[a-z][^\s{_NO_SPACE_SCRIPT}]*(\s+[^\s{_NO_SPACE_SCRIPT}]+)+?[.!?](\s|$))")
# A full stop after one of these whole words does not end a sentence ("e.g. knees", "Dr. Lee"; but "items." does).
_ABBREVIATION = re.compile(r"(?:^|[^\w.])(e\.g|i\.e|etc|vs|dr|mr|mrs|ms|st|no|approx|fig|ref|cf|vol|pp|prof)\.$", re.IGNORECASE)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans (absolute offsets into `text`) of the sentences in text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans, sent_start = [], start
    for match in _END.finditer(text, start, end):
        stop = match.end()
        if _ABBREVIATION.search(text, max(sent_start, stop - 10), stop):
            continue
        spans.append((sent_start, stop))
        sent_start = stop
    spans.append((sent_start, end))
    return [trimmed for s, e in spans if (trimmed := _trim(text, s, e))]


def without_questions(text: str) -> str:
    """The text with its questions blanked out (offsets kept): what is left states something."""
    for s, e in split_sentences(text):
        if text[s:e].rstrip("\"'”’)] ").endswith("?"):
            text = text[:s] + " " * (e - s) + text[e:]
    return text


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


def keyword_tokens(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stemmed words without English stop words; numbers are kept."""
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer().stemWords, return_ids=False, show_progress=False)
