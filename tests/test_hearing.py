"""The embedded reasoner's coarse hearing (env/reasoners/hearing.py): what it hears of a clip."""
import numpy as np
import pytest

from conftest import SR, silence, speak, tone
from env.reasoners import ReasonRequest
from env.reasoners.hearing import CoarseHearing, coarse_seconds


def test_coarse_seconds_rounds_to_the_second_then_to_five():
    assert [coarse_seconds(s) for s in (0.3, 1.4, 2.6, 7.4, 8.0, 12.4, 13.0, 28.0)] == [1, 1, 3, 7, 10, 10, 15, 30]


def test_hears_length_speech_and_only_a_large_trend(write_wav):
    hearing = CoarseHearing()
    beep = write_wav("tone.wav", tone(500, 3.0))
    talk = write_wav("talk.wav", np.concatenate([silence(0.3), speak("open the door please"), silence(0.3)]))
    x = tone(500, 4.0)
    fade = write_wav("fade.wav", x * np.linspace(1.0, 0.05, len(x)).astype(np.float32))
    drift = write_wav("drift.wav", x * np.linspace(1.0, 0.8, len(x)).astype(np.float32))  # -2 dB: not heard
    line, alternatives = hearing.hear(beep)
    assert line == "Heard directly: a clip of about 3 seconds, of other sounds only."
    assert hearing.hear(talk)[0].endswith("in which someone speaks.")
    assert hearing.hear(fade)[0] == "Heard directly: a clip of about 4 seconds, of other sounds only. It gets quieter."
    assert hearing.hear(drift)[0] == "Heard directly: a clip of about 4 seconds, of other sounds only."
    # the other outcomes, one property at a time, never the measured line
    assert line not in alternatives and "Heard directly: a clip of about 3 seconds, in which someone speaks." in alternatives
    assert "Heard directly: a clip of about 4 seconds, of other sounds only." in alternatives
    assert "Heard directly: a clip of about 3 seconds, of other sounds only. It gets louder." in alternatives


def test_the_clips_line_goes_first_and_a_measurement_outranks_it(write_wav):
    """The heard line, with its contrasts, is first in every request with a clip, except where a
    tool's line has alternatives: a measurement outranks an impression, and that request is left
    as it is."""
    hearing = CoarseHearing()
    clip = write_wav("tone.wav", tone(500, 2.0))
    line, alternatives = hearing.hear(clip)
    tools = ReasonRequest("q?", ("a", "b"), ("tool one.", "tool two."), clip, (("one alt.",),))
    silent_tool = ReasonRequest("q?", ("a", "b"), ("tool one.",), clip, ((),))
    heard = hearing.with_hearing([tools, ReasonRequest("q?", ("a", "b"), (), clip), silent_tool,
                                  ReasonRequest("q?", ("a", "b"))])
    assert heard[0] == tools
    assert heard[1].tool_texts == (line,) and heard[1].contrasts == (alternatives,)
    assert heard[2].tool_texts == (line, "tool one.") and heard[2].contrasts == (alternatives, ())
    assert heard[3] == ReasonRequest("q?", ("a", "b"))  # no clip, nothing heard


@pytest.mark.slow
def test_with_hearing_the_reasoner_answers_coarse_questions_without_tools(write_wav):
    """No tool called: a clip's length and whether someone speaks come from its own hearing, and
    its answers are cached per clip (they depend on it). (Under `contrast: meaning` the sentence
    encoder's contrast overrides the heard length on this item: how well hearing serves each
    rule is measured on a validation split, not here.)"""
    from env.reasoners.smollm2 import SmolLMReasoner

    reasoner = SmolLMReasoner(threads=2, contrast="yes_no", hearing=True)
    assert reasoner.hears_audio and reasoner.id.endswith(":hearing.v3")
    short, long_ = write_wav("short.wav", tone(400, 2.0)), write_wav("long.wav", tone(400, 10.0))
    q, choices = "How long is this audio clip?", ("2 seconds", "10 seconds")  # heard to the second, then to 5 s
    answers = reasoner.answer_batch([ReasonRequest(q, choices, (), short), ReasonRequest(q, choices, (), long_)])
    assert [a.choice for a in answers] == ["2 seconds", "10 seconds"]
    talk = write_wav("talk.wav", np.concatenate([silence(0.3), speak("call my mother"), silence(0.3)]))
    q = "Is someone speaking in the recording?"
    answers = reasoner.answer_batch([ReasonRequest(q, ("yes", "no"), (), talk), ReasonRequest(q, ("yes", "no"), (), short)])
    assert [a.choice for a in answers] == ["yes", "no"]
    assert SmolLMReasoner(threads=2).id != reasoner.id and not SmolLMReasoner(threads=2).hears_audio
