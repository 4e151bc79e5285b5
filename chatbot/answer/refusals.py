"""Every rule that turns a question into a refusal, by the stage where it applies.

Phrased generally: no rule names a question of any evaluation set (docs/architecture.md, "Answering and refusing").
"""
from __future__ import annotations

import re

from bm25s.stopwords import STOPWORDS_EN_PLUS

from ..config import REFUSAL
from ..index.retrieval import RetrievedChunk
from ..textutils import keyword_tokens
from .check import numbers_in

# Screen: requests to change the assistant's rules or to produce something other than an answer
# from the documents.
_INSTRUCTION = re.compile(
    r"""\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules|prompts?|directions|guidelines)\b
      |\b(you\ are\ now|pretend\ (to\ be|you\ are)|act\ as\ (a|an|my)|role-?play|jailbreak|developer\ mode)\b
      |\b(system\ prompt|your\ (instructions|prompt|rules))\b
      |^\s*(please\s+)?(write|compose|create|generate|draft|tell|sing)\b.{0,30}
         \b(poem|story|song|joke|essay|limerick|haiku|code|program|script|email|letter|rap|tweet)s?\b
      |\btranslate\b.{0,60}\b(into|to)\s+[a-z]+\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Generate: how a small model phrases "the sources don't say" when it does not use the exact sentence, also after
# what they do say ("The sources describe X, but do not mention Y", "The information provided discusses X, but…") and
# as "no (direct) information in the sources".
_SOURCES = r"(sources?|documents?|context|text|articles?|passages?)"
_NOT_SAY = r"(do|does)(n't| not) (contain|mention|provide|say|include|specify|state|address|discuss|give)"
_MODEL_REFUSAL = re.compile(
    rf"can(no|')t answer|unable to answer|({_SOURCES}|information) (provided )?{_NOT_SAY}"
    rf"|\b({_SOURCES}|information)\b[^.]{{0,120}}\b(but|yet)\s+{_NOT_SAY}"
    rf"|(is|are) not (mentioned|provided|specified|stated|given|available) in|no information (about|on)"
    rf"|\bno (\w+ )?(information|mention|details?)\b[^.]{{0,40}}\b(in|from) the (provided |given )?{_SOURCES}",
    re.IGNORECASE,
)

# Check: questions whose answer is a quantity; an answer without any number does not answer them.
_ASKS_QUANTITY = re.compile(
    r"\b(how (much|many|long|often|old)|what (percentage|percent|proportion|share|dose|dosage|amount|age)"
    r"|cost|price|dose|dosage|milligrams?|mg)\b", re.IGNORECASE)
_TIME_QUANTITY = re.compile(r"\b(every|each|daily|weekly|monthly|hourly|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b", re.IGNORECASE)


# Check: an answer sentence must say something the question did not. Words that name nothing on their own (modal
# verbs, question words, "type", "option", "help") do not count as something new. Written as words and stemmed as
# keyword_tokens stems them ("several" is left out: it stems to "sever", as "severe" does).
_EMPTY_WORDS = frozenset(keyword_tokens([" ".join([
    "can could may might will would should must shall do does did done has have had get got be being been",  # modal and auxiliary verbs
    "which what who whom whose when where why how",  # question words
    "help consider use make type kind way option thing one also often usually general typically possible possibly",
    "include includes including involve involves various different multiple numerous",
    "certain particular specific sometimes many some well really actually",
    "reduce risk prevent avoid lower improve",  # the aim of the asking ("to avoid pain"), not the way to it
    "information mentioned indicated source sources",  # said of the sources, never of the subject
    "example instance addition additionally furthermore moreover however",  # connectives: they lead to a thing, name none
    "new good better best important essential crucial vital necessary appropriate proper properly regular regularly "
    "further additional other more most generally especially",  # praise and degree: how much, never what
    "perform performed performing undertake",  # light verbs: the noun after them names the thing
])])[0])
# Talk about the sources ("as described in the first source", "this is found in sources") says where, not what.
_ABOUT_SOURCES = re.compile(
    r"\b(?:(?:is|are|was|were)\s+)?(?:(?:mentioned|found|indicated|described|stated|noted|shown|listed|given|provided|"
    r"explained|discussed)\s+)?(?:in|from|by|according\s+to)\s+(?:(?:the|these|this|both|all|each|one\s+of\s+the)\s+)?"
    r"(?:(?:first|second|third|fourth|fifth|other|provided|given|above|cited)\s+)?(?:sources?|context)\b", re.IGNORECASE)
# Who someone is: an answer to "who…?", but in any other question "individuals" only restates "someone".
_PERSON_WORDS = frozenset(keyword_tokens(["individual individuals people person someone everyone anyone"])[0])
# A bare demonstrative as subject ("This can help…", "That happens…", "The same happens…") names nothing: the sentence says something only
# through words of its own beyond the question's, and one or two of those ("This can eventually lead to pain") do not
# name an item, a cause or a step. Verbs listed, so that "This process…" and "These muscles…" (nouns) stay out.
# Shell nouns ("this advice", "these steps", "this technique") point back as a bare "this" does (Schmid 2000).
_SHELL_NOUN = (r"(fact|idea|problem|issue|thing|way|approach|method|technique|process|steps?|advice|information|situation|"
               r"factor|option|misconception|reason|result|finding|practice|point)")
_BARE_DEMONSTRATIVE = re.compile(
    rf"^\W*(this|that|these|those|the same)\s+({_SHELL_NOUN}\s+)?(can|could|may|might|will|would|should|must|is|are|was|were|has|have|had|"
    r"happens?|helps?|leads?|causes?|means?|makes?|allows?|occurs?|results?|puts?|places?|comes?|reduces?)\b", re.IGNORECASE)
_AT_MOST_NEW_AFTER_DEMONSTRATIVE = 2
# A lead-in whose list never came ("It is essential to explore treatment options:") says as little.
_LEAD_IN = re.compile(r":\s*$")
# ...unless its one or two words are a name: "This is called osmosis.", "This was founded by Eliot."
_NAMING = re.compile(r"\b(called|named|known as|termed|referred to as)\b", re.IGNORECASE)
# A topic rather than a statement: a heading that is an indirect question ("When to Seek Help", "How to Lift") and
# nothing else names what it announces.
_TOPIC_HEADING = re.compile(r"^\W*(when|how|why|what|where|which|who|whom)\s+to(\s+[^\s.:;!?…]+){1,6}[.!]?\s*$", re.IGNORECASE)
# "One of the most common…" counts no thing: a number word there names no quantity.
_ONE_OF = re.compile(r"\bone\s+(of|another)\b", re.IGNORECASE)
# Where an answer's own words are counted, English function words are not words of its own: "all over your" in "This
# happens all over your body." names nothing. NLTK's list as bm25s ships it, without the halves of contractions
# ("won" of "won't" is a verb too).
_FUNCTION_WORDS = frozenset(keyword_tokens([" ".join(
    w for w in STOPWORDS_EN_PLUS if "'" not in w and f"{w}'t" not in STOPWORDS_EN_PLUS)])[0])
# "Why…?" asks for a reason. A sentence that restates the whole question with no word that gives a cause or a purpose
# ("because", "due to", "to", "for", "so"…) and one word more ("Some people may need the operation as surgery.") names
# none; one that leaves the question's words for its own ("The project was underfunded.") may state it.
_ASKS_REASON = re.compile(r"\bwhy\b", re.IGNORECASE)
_GIVES_REASON = re.compile(r"\b(because|due|since|so|as|caus\w*|lead\w*|result\w*|reasons?|owing|thanks|therefore|hence|"
                           r"to|for|by|from|if|when|after)\b", re.IGNORECASE)
_YES_NO_QUESTION = re.compile(r"^\s*(is|are|was|were|do|does|did|can|could|should|would|will|has|have|had|may|might|must)\b", re.IGNORECASE)


def adds_nothing(sentence: str, question: str) -> bool:
    """True when the sentence names nothing the question did not (no new entity, number, date, item, cause, step):
    it restates the question instead of answering it. A question is never an answer; a statement answers a yes/no
    question (restating its proposition affirms it, "yes" or a negation settles it)."""
    if sentence.rstrip().endswith("?"):
        return True
    if _YES_NO_QUESTION.search(question):
        return False
    if _TOPIC_HEADING.search(sentence):
        return True
    if numbers_in(_ONE_OF.sub(" ", sentence)) - numbers_in(question):
        return False
    if _ASKS_QUANTITY.search(question) and set(_TIME_QUANTITY.findall(sentence.lower())) - set(_TIME_QUANTITY.findall(question.lower())):
        return False  # "every hour" answers "how often…?" as a number does
    asked = set(keyword_tokens([question])[0])
    empty = _EMPTY_WORDS if re.match(r"\s*who", question, re.IGNORECASE) else _EMPTY_WORDS | _PERSON_WORDS
    said = {w for w in keyword_tokens([_ABOUT_SOURCES.sub(" ", sentence)])[0] if w not in empty}
    new = said - asked
    if _BARE_DEMONSTRATIVE.search(sentence) or _LEAD_IN.search(sentence):
        return len(new - _FUNCTION_WORDS) <= _AT_MOST_NEW_AFTER_DEMONSTRATIVE and not _names_something(sentence, question)
    restates_the_whole_question = not (asked - empty - _FUNCTION_WORDS - said)
    if _ASKS_REASON.search(question) and restates_the_whole_question and not _GIVES_REASON.search(sentence):
        return len(new - _FUNCTION_WORDS) <= 1
    return not new


def _names_something(sentence: str, question: str) -> bool:
    """A name the question lacks: after a naming verb, or a capitalised word past the first."""
    asked = question.lower()
    return bool(_NAMING.search(sentence)) or any(
        word[:1].isupper() and word.lower() not in asked for word in re.findall(r"[\w'-]+", sentence)[1:])


def is_instruction(question: str) -> bool:
    return bool(_INSTRUCTION.search(question))


def retrieval_too_weak(retrieved: list[RetrievedChunk], refuse_below_cosine: float) -> bool:
    return not retrieved or max(r.dense_score for r in retrieved) < refuse_below_cosine


def model_refused(raw: str) -> bool:
    return not raw or REFUSAL.lower().rstrip(".") in raw.lower() or bool(_MODEL_REFUSAL.search(raw))


def lacks_asked_quantity(question: str, sentences: list[str]) -> bool:
    return bool(_ASKS_QUANTITY.search(question)) and not any(numbers_in(s) or _TIME_QUANTITY.search(s) for s in sentences)
