"""No text from a document or a person ever becomes a control token of the model's chat template.

Chat templates mark turns with control tokens (`<|im_start|>system`, `<|im_end|>` for Qwen); engines tokenise the
templated prompt with those parsed, so the same characters inside a passage, a title or a question would open a
real system turn. Every message's content is therefore broken where it spells a control token before the template
is applied: a word joiner (U+2060, invisible) after the first character, which no tokenizer merges back. The local
engine breaks every control and user-defined token of its own vocabulary; every engine also breaks the markers of
the common chat formats (its server's vocabulary is not known here). The source viewer shows the document as it is.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

JOINER = "\u2060"
# Turn and role markers of the common chat formats: ChatML and Qwen/GPT-style <|…|>, Llama 2 [INST] and <<SYS>>,
# Gemma <start_of_turn>, sentence markers <s> </s>, Llama 3 headers.
COMMON_MARKERS = re.compile(r"<\|[^<>|\s]{1,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>", re.IGNORECASE)


def broken(marker: str) -> str:
    return marker[0] + JOINER + marker[1:]


def neutralise(text: str, specials: Iterable[str] = ()) -> str:
    """`text` with every control-token spelling broken: the vocabulary's own (`specials`), then the common markers."""
    for special in sorted((s for s in specials if len(s) > 1), key=len, reverse=True):
        if special in text:
            text = text.replace(special, broken(special))
    return COMMON_MARKERS.sub(lambda m: broken(m.group(0)), text)


def neutralised(messages: list[dict], specials: Iterable[str] = ()) -> list[dict]:
    """The chat messages with their contents neutralised (the template adds the only real markers)."""
    specials = tuple(specials)
    return [{**m, "content": neutralise(m["content"], specials)} for m in messages]
