"""Values a question names (tools/mentions.py) and the tools' alternatives for them: the contrast
rule can only answer "no" to "is it 60 BPM?" if "the tempo is 60 BPM" is among its alternatives."""
from tools import mentions
from tools.base import ToolResult
from tools.basic import DurationTool
from tools.events import EventCountTool, TempoTool
from tools.executor import ToolExecutor
from tools.pitch import PitchTool
from tools.speakers import SpeakerCountTool


def test_numbers_counts_frequencies_and_notes_in_questions_and_choices():
    assert mentions.numbers("Are there exactly 7 beeps?", ["no", "yes"]) == [7.0]
    assert mentions.numbers("How many beeps?", ["three", "4 beeps", "one beep", "4"]) == [3.0, 4.0, 1.0]
    assert mentions.numbers("Is this clip 2.5 sec long?") == [2.5]
    assert mentions.counts("Do two people take turns speaking?") == [2]
    assert mentions.counts("Is it 120 BPM?") == []  # above the largest count
    assert mentions.frequencies("Is the tone 440 Hz or 880 hertz?") == [440.0, 880.0]
    # notes: letter with octave or accidental; the article "A" is not a note, "A4" and "A#" are
    assert mentions.notes("Is the note that is played B4?") == [(11, 4)]
    assert mentions.notes("Does the instrument play F#?") == [(6, None)]
    assert mentions.notes("A tone plays. Is it Bb or A#?") == [(10, None)]
    assert mentions.notes("What is the note?", ["A4", "C4"]) == [(9, 4), (0, 4)]
    assert mentions.numbers("Is the note F#4?") == []  # an octave digit is not a number
    assert round(mentions.note_hz(9, 4, 100.0), 1) == 440.0
    assert round(mentions.note_hz(6, None, 311.0), 1) == 370.0  # F# nearest 311 Hz: F#4


def test_tools_give_the_outcomes_a_question_names():
    tempo = {"bpm": 120.0, "start_bpm": 120.0, "end_bpm": 120.0, "change": "steady"}
    assert TempoTool().question_contrasts(tempo, "Does the beat play at 60 bpm?", ["no", "yes"]) == [
        TempoTool.describe({**tempo, "bpm": 60.0})]
    assert TempoTool().question_contrasts({"bpm": None}, "Is it 60 bpm?", []) == []
    one_tone = {"tones": [{"start": 0.0, "end": 1.0, "hz": 262.0, "note": "C4"}]}
    assert PitchTool().question_contrasts(one_tone, "Is the note B4?", ["no", "yes"]) == [
        "One steady tone at 494 Hz: the note B4."]
    assert DurationTool().question_contrasts({"seconds": 3.0}, "Does the clip last about 6 seconds?", []) == [
        "The clip lasts 6.0 seconds, about 6 seconds."]
    events = {"count": 2, "durations": [0.5, 1.0], "segments": []}
    assert EventCountTool().question_contrasts(events, "Are there exactly 5 beeps?", ["no", "yes"]) == [
        EventCountTool.describe(events).replace(": 2.", ": 5.", 1)]
    assert SpeakerCountTool().question_contrasts({"count": 1}, "Are there three speakers?", []) == [
        "Three people speak in the clip."]


def test_executor_adds_question_contrasts_after_the_cached_ones():
    tool = TempoTool()
    data = {"bpm": 120.0, "start_bpm": 120.0, "end_bpm": 120.0, "change": "steady"}
    text = tool.describe(data)
    result = ToolResult("tempo", True, data, text, contrasts=tool.contrast_texts(data))
    executor = ToolExecutor([tool])
    plain = executor.contrasts([result])
    asked = executor.contrasts([result], "Is it 120 BPM or 75 BPM?", ["yes", "no"])
    # the measured value itself is not an alternative; 75 BPM is, after the tool's own
    assert asked[0][: len(plain[0])] == plain[0] and asked[0][len(plain[0]):] == (tool.describe({**data, "bpm": 75.0}),)
