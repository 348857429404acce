"""The embedded reasoner's coarse hearing (env/reasoners/hearing.py): what it hears of a clip."""
import math
import os

import numpy as np
import pytest

from conftest import silence, speak, tone
from env.reasoners import ReasonRequest
from env.reasoners.hearing import CoarseHearing, HeardClip, HeardLine, alike_lengths, coarse_seconds, pool_alike
from tools.mentions import lengths


def as_dict(heard: list[HeardLine]) -> dict[str, tuple[str, ...]]:
    """A clip's heard lines as {line: its alternatives}."""
    return {line.text: line.alternatives for line in heard}


def test_coarse_seconds_rounds_to_the_second_then_to_five():
    assert [coarse_seconds(s) for s in (0.3, 1.4, 2.6, 7.4, 8.0, 12.4, 13.0, 28.0)] == [1, 1, 3, 7, 10, 10, 15, 30]


def test_choices_the_ear_hears_as_one_length_share_one_probability():
    """Above 7.5 s the ear hears to 5 s: 23, 25 and 27 s are all "about 25 seconds", so the heard
    line cannot rank them and they get their mean probability; a choice heard apart keeps its own,
    and choices that are not one length each are left alone."""
    choices = ("4 sec", "23 sec", "27 sec", "25 sec")
    assert alike_lengths(choices) == [[1, 2, 3]]
    assert alike_lengths(("15 s", "14 s", "10 s", "4 s")) == [[0, 1]]
    assert alike_lengths(("7 s", "6 s", "2 s")) == []  # heard to the second below 7.5 s
    assert alike_lengths(("yes", "no")) == [] and alike_lengths(("3 beeps", "4 beeps")) == []
    assert alike_lengths(("1 minute", "60 seconds", "2 s")) == [[0, 1]]
    scores, temperature = [0.0, 1.0, 3.0, 5.0], 5.0
    probabilities = lambda v: [math.exp(x / temperature) / sum(math.exp(y / temperature) for y in v) for x in v]  # noqa: E731
    pooled = pool_alike(scores, choices, temperature)
    before, after = probabilities(scores), probabilities(pooled)
    assert pooled[1] == pooled[2] == pooled[3] and after[0] == pytest.approx(before[0])
    assert after[1] == pytest.approx(sum(before[1:]) / 3)
    assert pool_alike(scores, ("a", "b", "c", "d"), temperature) == scores


def test_hears_length_speech_and_only_a_large_trend(write_wav):
    hearing = CoarseHearing()
    beep = write_wav("tone.wav", tone(500, 3.0))
    talk = write_wav("talk.wav", np.concatenate([silence(0.3), speak("open the door please"), silence(0.3)]))
    x = tone(500, 4.0)
    fade = write_wav("fade.wav", x * np.linspace(1.0, 0.05, len(x)).astype(np.float32))
    drift = write_wav("drift.wav", x * np.linspace(1.0, 0.8, len(x)).astype(np.float32))  # -2 dB: not heard
    assert hearing.hear(beep) == HeardClip(3, False, "steady")
    assert hearing.hear(talk).speech
    assert hearing.hear(fade) == HeardClip(4, False, "quieter")
    assert hearing.hear(drift) == HeardClip(4, False, "steady")


def test_each_property_is_a_line_with_the_other_outcomes_as_its_contrasts():
    """One line per property heard, each with what it would have said for the other outcomes, so
    the contrast rules swap one property at a time; a steady level goes unsaid."""
    lines = as_dict(HeardClip(3, False, "steady").lines("What is this?", ("a", "b")))
    assert list(lines) == ["Heard directly: the clip lasts about 3 seconds.", "Heard directly: nobody speaks in it."]
    assert lines["Heard directly: the clip lasts about 3 seconds."] == tuple(
        f"Heard directly: the clip lasts about {s} second{'s' if s > 1 else ''}." for s in (1, 2, 4, 5))
    assert lines["Heard directly: nobody speaks in it."] == ("Heard directly: someone speaks in it.",)
    fading = as_dict(HeardClip(20, True, "quieter").lines())
    assert fading["Heard directly: someone speaks in it."] == ("Heard directly: nobody speaks in it.",)
    # the other direction only: a steady level is never said, so it is no outcome of that line
    assert fading["Heard directly: the level falls, the sound gets quieter."] == (
        "Heard directly: the level rises, the sound gets louder.",)
    # above FINE_SECONDS a length is heard to 5 s, and so are its alternatives
    assert fading["Heard directly: the clip lasts about 20 seconds."] == tuple(
        f"Heard directly: the clip lasts about {s} seconds." for s in (10, 15, 25, 30))


def test_the_lengths_a_question_names_join_the_alternatives_at_the_hearings_resolution():
    """As the duration tool's do: "Is the recording 9 s long?" over a clip heard as about 3 s is
    weighed against "about 9 seconds". A length heard coarsely takes the named one at the same
    resolution (a listener who heard "about 10 seconds" hears 9 s as that, and says nothing new),
    and a count is not a length."""
    assert lengths("Is the recording 9 s long?", ("yes", "no")) == [9.0]
    assert lengths("How long is it?", ("two seconds", "27 sec", "1 min", "3 beeps")) == [2.0, 27.0, 60.0]
    assert lengths("Are there exactly 8 beeps?", ("2 speakers", "4 s")) == [4.0]
    short = as_dict(HeardClip(3, False, "steady").lines("Is the recording 6 s long?", ("yes", "no")))
    assert "Heard directly: the clip lasts about 6 seconds." in short["Heard directly: the clip lasts about 3 seconds."]
    long_ = as_dict(HeardClip(10, False, "steady").lines("Is the recording 9 s long?", ("yes", "no")))
    assert long_["Heard directly: the clip lasts about 10 seconds."] == tuple(
        f"Heard directly: the clip lasts about {s} seconds." for s in (5, 15, 20))
    counted = as_dict(HeardClip(3, False, "steady").lines("Are there exactly 8 beeps?", ("yes", "no")))
    assert "Heard directly: the clip lasts about 8 seconds." not in counted["Heard directly: the clip lasts about 3 seconds."]


def test_the_clips_lines_go_first_and_a_measurement_outranks_them(write_wav):
    """The heard lines are first in every request with a clip, with their contrasts where the
    question is about them (a length question: the length's), except where a tool's line has
    alternatives: a measurement outranks an impression, and that request is left as it is."""
    hearing = CoarseHearing()
    clip = write_wav("tone.wav", tone(500, 2.0))
    q, choices = "How long is the recording?", ("2 seconds", "6 seconds")
    length, speech = hearing.hear(clip).lines(q, choices)
    lines = (length.text, speech.text)
    tools = ReasonRequest(q, choices, ("tool one.", "tool two."), clip, (("one alt.",),))
    silent_tool = ReasonRequest(q, choices, ("tool one.",), clip, ((),))
    out = hearing.with_hearing([tools, ReasonRequest(q, choices, (), clip), silent_tool, ReasonRequest(q, choices)])
    assert out[0] == tools
    assert out[1].tool_texts == lines and out[1].contrasts == (length.alternatives, ())
    assert out[2].tool_texts == lines + ("tool one.",) and out[2].contrasts == (length.alternatives, (), ())
    assert out[3] == ReasonRequest(q, choices)  # no clip, nothing heard


def test_a_heard_line_is_weighed_only_for_a_question_about_it():
    """Hearing v8: the length and trend lines by the kind of question (that of the duration and
    loudness tools), the speech line by the words its alternatives change; a question about
    something the ear does not hear (which sound comes first, how many beeps) weighs none of them,
    and its answer is the reasoner's plain reading, not a sure pick between "louder" and "quieter"."""
    hearing = CoarseHearing()
    length, speech, trend = HeardClip(5, True, "louder").lines()
    assert [line.measured_by for line in (length, speech, trend)] == ["duration", "", "loudness"]

    def weighed(question, choices=("yes", "no")):
        return [name for name, line in (("length", length), ("speech", speech), ("trend", trend))
                if hearing.about(line, question, choices)]

    assert weighed("How long is the recording?", ("3 seconds", "5 seconds", "9 seconds")) == ["length"]
    assert weighed("Does the clip last about 12 seconds?") == ["length"]
    assert weighed("Does the sound get quieter towards the end?") == ["trend"]
    assert weighed("How does the volume change?", ("it rises", "it falls")) == ["trend"]
    assert weighed("Is someone speaking in the recording?") == ["speech"]
    assert weighed("What comes first, the speech or the tone?", ("the speech", "the tone")) == []
    assert weighed("How many beeps do you hear?", ("3", "5", "7")) == []  # a count is not a length
    assert weighed("Who is speaking?", ("a man", "a woman")) == []
    # the choices must fall on both sides of "someone" / "nobody": one side says nothing of which comes first
    assert weighed("Which is heard first?", ("someone talking", "a beep")) == []
    assert hearing.about(speech, "What does the clip hold?", ("someone talking", "nobody, only a tone"))


def test_a_yes_no_question_about_a_length_heard_alike_is_a_guess(write_wav):
    """Hearing v9: over a clip heard as "about 25 seconds", "Is it 25 s long?" and "about 23 s?"
    cannot be told (a 23, 25 or 27 s clip sounds the same); a length heard apart ("30 s?"), a
    length heard to the second (below 7.5 s), a question naming two lengths, or one not about the
    length line ("a beep in the first 25 seconds?") is not a guess."""
    hearing = CoarseHearing()
    long_, short = write_wav("long23.wav", tone(400, 23.0)), write_wav("short6.wav", tone(400, 6.0))
    assert hearing.hear(long_).seconds == 25 and hearing.hear(short).seconds == 6

    def guess(question, clip=long_, choices=("yes", "no")):
        return hearing.cannot_tell(ReasonRequest(question, choices, (), clip))

    assert guess("Is this clip 25 s long?") and guess("Does the clip last about 23 seconds?")
    assert guess("Is the recording 27 sec long?", choices=("No", "Yes"))
    assert not guess("Is this clip 30 s long?") and not guess("Is this clip 6 s long?", clip=short)
    assert not guess("Does it last between 25 s and 40 s?")
    assert not guess("Is there a beep in the first 25 seconds?")
    assert not guess("How long is the clip?", choices=("25 s", "30 s"))
    assert not hearing.cannot_tell(ReasonRequest("Is this clip 25 s long?", ("yes", "no")))  # no clip


@pytest.mark.slow
def test_with_hearing_the_reasoner_answers_coarse_questions_without_tools(write_wav):
    """No tool called: a clip's length and whether someone speaks come from its own hearing, and
    its answers are cached per clip (they depend on it). (Under `contrast: meaning` the sentence
    encoder's contrast overrides the heard length on this item: how well hearing serves each
    rule is measured on a validation split, not here.)"""
    from env.reasoners.smollm2 import SmolLMReasoner

    reasoner = SmolLMReasoner(threads=2, contrast="yes_no", hearing=True)
    assert reasoner.hears_audio and reasoner.id.endswith(":hearing.v9")
    short, long_ = write_wav("short.wav", tone(400, 2.0)), write_wav("long.wav", tone(400, 10.0))
    q, choices = "How long is this audio clip?", ("2 seconds", "10 seconds")  # heard to the second, then to 5 s
    answers = reasoner.answer_batch([ReasonRequest(q, choices, (), short), ReasonRequest(q, choices, (), long_)])
    assert [a.choice for a in answers] == ["2 seconds", "10 seconds"]
    talk = write_wav("talk.wav", np.concatenate([silence(0.3), speak("call my mother"), silence(0.3)]))
    q = "Is someone speaking in the recording?"
    answers = reasoner.answer_batch([ReasonRequest(q, ("yes", "no"), (), talk), ReasonRequest(q, ("yes", "no"), (), short)])
    assert [a.choice for a in answers] == ["yes", "no"]
    assert SmolLMReasoner(threads=2).id != reasoner.id and not SmolLMReasoner(threads=2).hears_audio
    # 23 and 27 s both sound like "about 25 seconds": heard alone, the reasoner cannot rank them;
    # a tool's measured line (with its alternatives) can, and there the heard lines stay out
    clip = write_wav("long27.wav", tone(400, 27.0))
    q, choices = "How long is this audio clip?", ("23 seconds", "27 seconds", "5 seconds")
    heard, measured = reasoner.answer_batch([
        ReasonRequest(q, choices, (), clip),
        ReasonRequest(q, choices, ("The clip lasts 27.0 seconds.",), clip, (("The clip lasts 23.0 seconds.",),))])
    assert heard.probabilities[0] == heard.probabilities[1] and heard.choice != "27 seconds"  # a tie goes to the first
    assert measured.probabilities[1] > measured.probabilities[0]
    # yes/no about a length heard alike: a guess, at margin 0 (hearing v9); heard apart, sure
    guess, apart = reasoner.answer_batch([ReasonRequest("Is this clip 25 s long?", ("yes", "no"), (), clip),
                                          ReasonRequest("Is this clip 10 s long?", ("yes", "no"), (), clip)])
    assert guess.probabilities[0] == guess.probabilities[1] and apart.choice == "no"
    # a comparison with a number is read off a tool's measured number, not off the ear's impression
    from env.reasoners.contrast import THRESHOLD_MARGIN

    q = "Is this clip longer than 10 seconds?"
    heard, measured = reasoner.answer_batch([
        ReasonRequest(q, ("yes", "no"), (), clip),
        ReasonRequest(q, ("yes", "no"), ("The clip lasts 27.0 seconds.",), clip, (("The clip lasts 10.0 seconds.",),))])
    assert abs(heard.scores[0]) != THRESHOLD_MARGIN and measured.scores == [THRESHOLD_MARGIN, -THRESHOLD_MARGIN]


def test_the_hearing_demo_config_builds_a_reasoner_that_hears():
    """configs/demo_hearing.yaml is the demo (its base) with hearing and `paraphrase_line` on and a
    reward under which skipping can pay, trained on every training item with the reasoner's no-tool
    margin in view (less a floor that makes a toss-up's margin 0, over a span that makes a sure one 1)
    and its familiarity read without the numbers a question names; its reasoner section builds
    (weights load on first use)."""
    from cluster.config import load_config
    from env.reasoners.registry import build_reasoner

    configs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs")
    demo, hearing = (load_config(os.path.join(configs, name), []) for name in ("demo.yaml", "demo_hearing.yaml"))
    assert hearing["data"] == demo["data"] and hearing["tools"] == demo["tools"]
    assert hearing["train"]["env"]["call_cost"] > 0
    # a no-tool answer the router observes at margin 0 is a guess in the reward too
    assert hearing["train"]["env"]["reward"] == {"class": "env.rewards.RelativeMixedReward", "guess_margin": 0.3}
    assert hearing["train"]["env"]["reward"]["guess_margin"] == hearing["train"]["env"]["reasoner_confidence_floor"]
    assert hearing["train"]["env"]["reasoner_confidence"] and hearing["train"]["env"]["max_items"] == 0
    assert 0 < hearing["train"]["env"]["reasoner_confidence_floor"] < 1
    # a sure no-tool answer reads as sure: the margin above the floor saturates within the span
    assert 0 < hearing["train"]["env"]["reasoner_confidence_span"] < 1 - hearing["train"]["env"]["reasoner_confidence_floor"]
    assert hearing["train"]["novelty_reading"] == "question_without_numbers" and demo["train"].get(
        "novelty_reading", "question") == "question"
    reasoner = build_reasoner(hearing["reasoner"])
    assert reasoner.hears_audio and reasoner.id.endswith(":paraphrase_line:hearing.v9")
    assert not build_reasoner(demo["reasoner"]).hears_audio
