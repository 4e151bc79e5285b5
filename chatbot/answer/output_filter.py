"""The output filter: an answer sentence may not bring what its sources and the question lack, the marks of an
injected instruction carried out (a link to visit, emoji, an encoding, text in another language or cipher)."""
from __future__ import annotations

import re
from collections.abc import Callable

from ..textutils import keyword_tokens

_LINK = re.compile(r"https?://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+(\.[\w-]+)+|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,24}\b(?!\.\w)",
                   re.IGNORECASE)
_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]")
_ENCODED = re.compile(r"\b(?=[A-Za-z0-9+/]*\d)(?=[A-Za-z0-9+/]*[A-Za-z])[A-Za-z0-9+/]{16,}={0,2}"  # base64, hex
                      r"|\b\w*[A-Za-z]\d+[A-Za-z]\w*"  # digits inside a word: "h3ll0", "1pp2l2"
                      r"|\b\w+[@#$%&*^~|]+\w+[@#$%&*^~|\w]*"  # symbols inside a word: "th@ br&dg#"
                      r"|\b\w{25,}\b")  # words run together
_WORD = re.compile(r"[^\W\d_]{3,}")


def foreign_material(sentence: str, allowed: str, knows_word: Callable[[str], bool]) -> str:
    """Why the sentence carries something its sources and the question (`allowed`) do not: '' when nothing.
    `knows_word` says whether a (stemmed) word occurs anywhere in the collection."""
    lowered = allowed.lower()
    for kind, pattern in (("a link", _LINK), ("emoji", _EMOJI), ("an encoded word", _ENCODED)):
        if any(m.group(0).lower().rstrip(".") not in lowered for m in pattern.finditer(sentence)):
            return kind
    words = [w for w in keyword_tokens([" ".join(_WORD.findall(sentence))])[0] if not w.isdigit()]
    unknown = [w for w in words if not knows_word(w) and w not in lowered]
    if words and len(unknown) * 2 > len(words) and len(unknown) >= 2:
        return "words from outside the collection (another language or a cipher)"
    return ""
