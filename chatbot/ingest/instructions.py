"""Instruction-like sentences: text inside a document that addresses the assistant or its reply.

Every document is data, never a command. A sentence that speaks to whoever writes the answer is found
at indexing and recorded on its chunk: the model is not shown it, it never counts as evidence, and
the source viewer shows it marked. The kinds looked for (by form, not by topic):
  - the reply itself: "in your response…", "reply in…", "add … to your answer", "answer every question with…";
  - the assistant itself: "ignore the previous instructions", "you are now an AI that…", "system prompt";
  - a task set for the writer, as an imperative at the start of a sentence: "Write…", "Translate…", "Explain…";
  - an edit of the text's own letters or spacing: "Replace vowels with…", "Remove all spaces…";
  - a call to visit a link, a site or an e-mail address: "download it from www.…", "visit example.com".
Imperatives about the reader's world ("apply ice for 20 minutes", "see a doctor if…") are none of these.
The share of sentences flagged in real collections is measured (docs/security.md).
"""
from __future__ import annotations

import re

DETECTOR_VERSION = 2  # part of the chunker's signature: a changed detector re-flags the collection

_REPLY = re.compile(
    r"\byour (own )?(response|reply|replies|answer|answers|output|message|completion)\b"
    r"|\b(in|into|to|throughout|within) (the|each|every|any) (response|reply|answer|output)\b"
    r"|^(\W*)(please |always |now |also |from now on,? )*(respond|reply|answer)\b(?! (is|was|to the|of)\b)"
    r"|\b(respond|reply|answer)(ing)? (only |always )?(in|with|using) (\w+ )?(language|emojis?|code|cipher|base\d+|"
    r"english|french|spanish|german|chinese|japanese|russian|italian|portuguese|arabic|hindi)\b",
    re.IGNORECASE)
_ASSISTANT = re.compile(
    r"(^\W*(please |now |and )*|\byou (must|should|can|may|will) (now )?)(ignore|disregard|forget|override|bypass)\b"
    r"[^.]{0,40}\b(instructions?|prompts?|rules|directions|guidelines|guidance|everything|all|above|previous|prior|earlier)\b"
    r"|\b(you are|you're|act as|acting as|pretend to be|role-?play as|behave as|as an?) (now )?(an? )?"
    r"(ai|a\.i\.|assistant|chatbot|language model|llm|bot|gpt)\b"
    r"|\b(system prompt|new instructions|developer mode|jailbreak)\b"
    r"|^\W*(dear|attention|note to|hey|hi|hello),? (the )?(ai|assistant|chatbot|model|llm|gpt)\b",
    re.IGNORECASE)
# A task for the writer: a text-making verb opening the sentence ("Write a poem about…", "Please translate…").
_TASK = re.compile(
    r"^\W*((please|now|also|then|instead|first|finally),? |(can|could|would|will) you (please )?)*"
    r"(?!write down|(describe|explain|tell|show) (your|them|him|her)\b)"  # the reader's own doings: "Describe your pain to…"
    r"(write|draft|compose|translate|summari[sz]e|paraphrase|rewrite|explain|describe|outline|elaborate|generate|"
    r"analy[sz]e|encode|decode|encrypt|decrypt|spell|repeat|print|output|recommend|"
    r"(tell|show|give|send|teach) (me|us)|provide (a|an|the|some|your)|create (a|an)|develop (a|an)|break down|"
    r"(claim|state|say|assert|mention|suggest|pretend|imply) that|mention|"
    r"(tell|remind|urge|encourage|convince|persuade|invite|ask|warn) (the |all |every )?(readers?|users?|audience|visitors?))\b",
    re.IGNORECASE)
# An edit of the text's own letters or spacing ("Replace vowels with…", "Remove all spaces").
_LETTERS = re.compile(r"^\W*(please )?(replace|substitute|swap|convert|remove|reverse|scramble|shuffle|jumble|capitali[sz]e)"
                      r"\b[^.]{0,40}\b(letters?|vowels?|consonants?|words?|characters?|spaces?|punctuation)\b", re.IGNORECASE)
_LINK = re.compile(r"https?://|\bwww\.|\b[\w.-]+@[\w-]+\.\w|\b[a-z0-9-]+\.(com|org|net|io|xyz|info|biz|co|app|ly|ru|cn)\b",
                   re.IGNORECASE)
_CALL = re.compile(r"\b(visit|go to|head to|click|download|install|check out|sign up|register|join|contact|email|e-mail|"
                   r"reach out|follow|subscribe|buy|order|see|call)\b", re.IGNORECASE)


def is_instruction(sentence: str) -> bool:
    """True for a sentence addressed to the assistant or its reply, or calling the reader to a link."""
    if any(p.search(sentence) for p in (_REPLY, _ASSISTANT, _TASK, _LETTERS)):
        return True
    return bool(_LINK.search(sentence) and _CALL.search(sentence))
