"""The answerability verdict's parts: the typed-answer feature, the shared prompt prefix, the committed head.

The verdict end to end (with the real model's P(yes)) is in test_answering.py; its measured precision
and recall are in the README (benchmarks/train_answerability.py, sweep_verdict_min_probability.py).
"""
import json

import pytest

from chatbot.answer.answerability import FEATURES, WEIGHTS_FILE, AnswerabilityJudge, asked_type_present, verify_messages, weights_file
from chatbot.answer.check import SupportJudge
from chatbot.answer.prompt import answer_messages, number_sources


@pytest.mark.parametrize("question, sentence, expected", [
    ("How many students enrolled?", "About 6,700 students enrolled.", (1.0, 1.0)),
    ("How many students enrolled?", "Many students enrolled.", (1.0, 0.0)),
    ("When did the war end?", "The war ended in 1598.", (1.0, 1.0)),
    ("When did the war end?", "The war ended with a treaty.", (1.0, 0.0)),
    ("Who founded the bank?", "The bank was founded by Thomas Carew.", (1.0, 1.0)),
    ("Who founded the bank?", "The bank was founded long ago.", (1.0, 0.0)),
    ("Why do knees hurt?", "Knees hurt when the joint wears.", (0.0, 0.0)),
])
def test_the_kind_of_answer_asked_for_is_looked_for_in_the_evidence(question, sentence, expected):
    assert asked_type_present(question, sentence) == expected


def test_the_verdict_prompt_is_the_answer_prompt_with_another_last_line(scripted_bot):
    """Everything before the last line is identical, so llama.cpp reuses the sources it already read."""
    bot = scripted_bot("")
    messages = answer_messages("Where does the sciatic nerve run?", number_sources(bot.search("sciatic nerve")))
    verify = verify_messages(messages)
    assert verify[:-1] == messages[:-1]
    head, last = verify[-1]["content"].rsplit("\n", 1)
    assert messages[-1]["content"].startswith(head + "\n") and "yes or no" in last


@pytest.mark.parametrize("excerpt_chars", [0, 1200])
def test_each_committed_head_is_small_complete_and_trusts_the_models_yes(embedder, excerpt_chars):
    weights = json.loads(weights_file(excerpt_chars).read_text())
    assert set(weights["features"]) <= set(FEATURES) and "llm_yes" in weights["features"]
    assert weights["held_out"]["questions"] > 50 and weights_file(excerpt_chars).stat().st_size < 10_000
    assert weights.get("excerpt_chars", 0) > 0 if excerpt_chars else not weights.get("excerpt_chars")
    judge = AnswerabilityJudge(SupportJudge(embedder, 0.65), 0.5, weights_file(excerpt_chars))
    features = dict.fromkeys(FEATURES, 0.5)
    low, high = (judge.probability(features | {"llm_yes": v}) for v in (-4.0, 4.0))
    assert 0.0 < low < 0.5 < high < 1.0


@pytest.mark.parametrize("excerpt_chars", [0, 900])
def test_the_engine_judges_with_the_head_fitted_on_what_its_model_reads(scripted_bot, excerpt_chars):
    """Shown excerpts the model says "yes" less often than shown whole passages: each prompt has its own head."""
    bot = scripted_bot("", excerpt_chars=excerpt_chars)
    assert bot.answerability.weights == json.loads(weights_file(excerpt_chars).read_text())
    assert (weights_file(excerpt_chars) == WEIGHTS_FILE) == (excerpt_chars == 0)


def test_the_default_verdict_does_not_expect_a_date_for_when_or_a_name_for_who(embedder):
    """In advice, "when" asks for a condition and "who" for a role: the default head must not refuse such a
    question for finding no date or capitalised name (the whole-passage head's typed features did; README)."""
    judge = AnswerabilityJudge(SupportJudge(embedder, 0.65), 0.6, weights_file(1200))
    passage = ["See a physiotherapist if the pain lasts longer than two weeks or keeps you from sleeping."]
    p = {q: judge.verdict(q, passage, 0.8).probability for q in
         ("When should you see a physiotherapist about the pain?", "What should make you see a physiotherapist about the pain?",
          "Who should you see if the pain lasts longer than two weeks?", "What should you do if the pain lasts longer than two weeks?")}
    when, what_when, who, what_who = p.values()
    assert abs(when - what_when) < 0.1 and abs(who - what_who) < 0.1, p
