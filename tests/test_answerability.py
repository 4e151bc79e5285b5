"""The answerability verdict's parts: the typed-answer feature, the shared prompt prefix, the committed heads and
what they were fitted for, and the trainer's features being the engine's own.

The verdict end to end (with the real model's P(yes)) is in test_answering.py; its measured precision and recall
are in docs/decisions (tools/train_answerability.py, tools/sweep_answerable_threshold.py).
"""
import pytest

from chatbot.answer.answerability import FEATURES, SHIPPED_WEIGHTS, AnswerabilityJudge, asked_type_present, load_weights, verify_messages
from chatbot.answer.prompt import answer_messages, number_sources
from chatbot.answer.reading import passage_prompt
from chatbot.answer.vectors import SentenceVectors
from chatbot.config import AnswerSettings
from chatbot.errors import ChatbotError


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


@pytest.mark.parametrize("path", SHIPPED_WEIGHTS, ids=lambda p: p.name)
def test_each_committed_head_is_small_complete_and_trusts_the_models_yes(embedder, path):
    weights = load_weights(path)
    assert set(weights["features"]) <= set(FEATURES) and "llm_yes" in weights["features"]
    assert weights["held_out"]["questions"] > 50 and path.stat().st_size < 10_000
    assert set(weights["fitted_for"]) == {"excerpt_chars", "datamark", "withhold_flagged", "embedding_model"}
    settings = AnswerSettings(excerpt_chars=weights["fitted_for"]["excerpt_chars"])
    judge = AnswerabilityJudge(SentenceVectors(embedder), settings, "all-MiniLM-L6-v2")
    assert judge.weights == weights
    features = dict.fromkeys(FEATURES, 0.5)
    low, high = (judge.probability(features | {"llm_yes": v}) for v in (-4.0, 4.0))
    assert 0.0 < low < 0.5 < high < 1.0


@pytest.mark.parametrize("excerpt_chars", [0, 1200])
def test_the_engine_judges_with_the_head_fitted_for_what_its_model_reads(scripted_bot, excerpt_chars):
    """Shown excerpts the model says "yes" less often than shown whole passages: each prompt has its own head."""
    bot = scripted_bot("", excerpt_chars=excerpt_chars)
    assert bot.answerability.weights["fitted_for"]["excerpt_chars"] == excerpt_chars


def test_weights_fitted_for_another_prompt_are_refused_in_one_sentence(scripted_bot):
    with pytest.raises(ChatbotError) as err:
        scripted_bot("", excerpt_chars=900)
    message = str(err.value)
    assert message.startswith("No answerability weights are fitted for excerpt_chars=900") and "tools.train_answerability" in message
    assert "\n" not in message
    assert scripted_bot("", excerpt_chars=900, verdict=False).answerability is None  # no verdict, no weights needed


def test_the_trainers_features_are_the_engines_own(scripted_bot):
    """tools/train_answerability.py computes a question's features through the engine: equal to what the engine's
    answer records in its trace (the scripted model gives the same P(yes) to both)."""
    from tools.train_answerability import question_features

    bot = scripted_bot("The sciatic nerve is the largest nerve in the body [1].", yes=0.8)
    question = "Which nerve is the largest in the body?"
    answer = bot.ask(question)
    assert answer.trace.verdict.features == question_features(bot, question, ask_model=True)
    assert [s.text for s in bot.prompt(question).sources] == [s.text for s in answer.trace.sources]


def test_the_default_verdict_does_not_expect_a_date_for_when_or_a_name_for_who(embedder):
    """In advice, "when" asks for a condition and "who" for a role: the default head must not refuse such a
    question for finding no date or capitalised name (the whole-passage head's typed features did)."""
    judge = AnswerabilityJudge(SentenceVectors(embedder), AnswerSettings(verdict_min_probability=0.6), "all-MiniLM-L6-v2")
    passage = "See a physiotherapist if the pain lasts longer than two weeks or keeps you from sleeping."
    p = {q: judge.verdict(passage_prompt(q, passage), 0.8).probability for q in
         ("When should you see a physiotherapist about the pain?", "What should make you see a physiotherapist about the pain?",
          "Who should you see if the pain lasts longer than two weeks?", "What should you do if the pain lasts longer than two weeks?")}
    when, what_when, who, what_who = p.values()
    assert abs(when - what_when) < 0.1 and abs(who - what_who) < 0.1, p
