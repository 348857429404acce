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
    assert mentions.numbers("Is it shorter than 18s or 2.5s?") == [18.0, 2.5]  # a unit written on
    assert mentions.numbers("Is it the 18th second?") == []
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


def test_a_comparison_with_a_number_is_read_from_the_question():
    Threshold = mentions.Threshold
    assert mentions.threshold("Is it longer than 9 seconds?") == (Threshold(9.0, True, False, "second"), False)
    assert mentions.threshold("Is this clip shorter than 14 s?") == (Threshold(14.0, False, False, "second"), False)
    assert mentions.threshold("Do you hear more than two claps?") == (Threshold(2.0, True, False, "claps"), False)
    assert mentions.threshold("Is the beat quicker than 56 beats per minute?")[0] == Threshold(56.0, True, False, "bpm")
    assert mentions.threshold("Is it faster than 47 BPM?")[0].unit == "bpm"
    assert mentions.threshold("Is the clip over 10 seconds long?")[0] == Threshold(10.0, True, False, "second")
    assert mentions.threshold("Are there at least three knocks?")[0] == Threshold(3.0, True, True, "knocks")
    assert mentions.threshold("Is it not longer than 3 s?") == (Threshold(3.0, True, False, "second"), True)
    # in seconds, as the tools state lengths
    assert mentions.threshold("Does it run longer than 2 minutes?")[0] == Threshold(120.0, True, False, "second")
    assert mentions.threshold("Is it shorter than 500 ms?")[0].value == 0.5
    # "no more than" is "not more than"; the comparison after the number; more words for it
    assert mentions.threshold("Is the count of knocks no fewer than six?") == (Threshold(6.0, False, False), True)
    assert mentions.threshold("Do you hear four claps or fewer?") == (Threshold(4.0, False, True, "claps"), False)
    assert mentions.threshold("Does it happen 4 or more times?")[0] == Threshold(4.0, True, True)
    assert mentions.threshold("Is it 6 seconds or longer?")[0] == Threshold(6.0, True, True, "second")
    assert mentions.threshold("Does the count stay at or below 5?")[0] == Threshold(5.0, False, True)
    assert mentions.threshold("Is there a minimum of 3 claps?")[0] == Threshold(3.0, True, True, "claps")
    assert mentions.threshold("Is the number smaller than five?")[0] == Threshold(5.0, False, False)
    assert mentions.threshold("Does the count fall short of 4?")[0] == Threshold(4.0, False, False)
    assert mentions.threshold("True or false: there are more than 6 claps.")[0] == Threshold(6.0, True, False, "claps")
    assert mentions.threshold("the count is more than 6.")[0] == Threshold(6.0, True, False)
    # a unit written on to the digits; a moment in the clip, compared in seconds only
    assert mentions.threshold("Does the duration exceed 18s?")[0] == Threshold(18.0, True, False, "second")
    assert mentions.threshold("Does it run beyond the 9 second mark?")[0] == Threshold(9.0, True, False, "second")
    assert mentions.threshold("Does it stop before the 10-second mark?")[0] == Threshold(10.0, False, False, "second")
    assert mentions.threshold("Does the hum keep going past five seconds?")[0] == Threshold(5.0, True, False, "second")
    assert mentions.threshold("Does the hum end within 6 s?")[0] == Threshold(6.0, False, True, "second")
    assert mentions.threshold("Is it still playing after 2 min?")[0] == Threshold(120.0, True, False, "second")
    # more words for above and below: "upwards of", "reach" (counts its number), "or slower" after
    # the number, "too slow to hit", "too long to fit within"; the value named first
    assert mentions.threshold("Does it move along at upwards of 140 BPM?")[0] == Threshold(140.0, True, False, "bpm")
    assert mentions.threshold("Compared to 9 seconds, is the clip longer?")[0] == Threshold(9.0, True, False, "second")
    assert mentions.threshold("Does the recording fail to reach 140 BPM?")[0] == Threshold(140.0, True, True, "bpm")
    assert mentions.threshold("Does it reach twelve seconds?")[0] == Threshold(12.0, True, True, "second")
    assert mentions.threshold("Is it 180 BPM or slower?")[0] == Threshold(180.0, False, True, "bpm")
    assert mentions.threshold("Is the beat 90 bpm or quicker?")[0] == Threshold(90.0, True, True, "bpm")
    assert mentions.threshold("Is this audio too slow to hit 180 beats per minute?")[0] == Threshold(180.0, False, False, "bpm")
    # "in excess of"; what is counted between the comparison and "than"
    assert mentions.threshold("Do they speak in excess of 5 times?")[0] == Threshold(5.0, True, False, "times")
    assert mentions.threshold("does the talking happen fewer times than six? like counting each bit")[0] == (
        Threshold(6.0, False, False))
    assert mentions.threshold("Are there more claps than 3?")[0] == Threshold(3.0, True, False)
    assert mentions.threshold("Is the hum too long to fit within 20 seconds?")[0] == Threshold(20.0, True, False, "second")
    # a note named with its octave, as its MIDI number (C4 is 60), in the words notes are compared in
    assert mentions.threshold("Is the note higher than D#4?") == (Threshold(63.0, True, False, "note"), False)
    assert mentions.threshold("Is this pitch sharper than C5?")[0] == Threshold(72.0, True, False, "note")
    assert mentions.threshold("Is the tone deeper than the note Bb3?")[0] == Threshold(58.0, False, False, "note")
    assert mentions.threshold("Is the recorded note at or above E4?")[0] == Threshold(64.0, True, True, "note")
    assert mentions.threshold("Is the sustained note no higher than A4?") == (Threshold(69.0, True, False, "note"), True)
    assert mentions.threshold("Would the key for this note sit to the right of C4?")[0] == Threshold(60.0, True, False, "note")
    assert mentions.threshold("Is the tone flatter than G3?")[0] == Threshold(55.0, False, False, "note")
    assert mentions.threshold("Compared with F5, is the pitch of this audio lower?")[0] == Threshold(77.0, False, False, "note")
    assert mentions.threshold("Compared with A4, is the note higher-pitched?")[0] == Threshold(69.0, True, False, "note")
    assert mentions.midi_notes("One steady tone at 330 Hz: the note E4.") == [64] and mentions.midi_notes("A beat.") == []
    # no number, an equality, or two comparisons: none
    for question in ("Is it 5 or 6 seconds long?", "Is the second sound longer than the first?", "Does it get louder over time?",
                     "Does the beep come after two knocks?", "Does the whistle stop before 3 claps?",
                     "Does the first note sound lower than the one after it?", "Is the note an A?",
                     "Is the second tone deeper than the first?", "Compared with the first tone, is the second higher?",
                     "Relative to 120 BPM, is this beat faster or slower?",
                     "Is the recording 9 seconds long?", "Is it longer than 5 s and shorter than 9 s?"):
        assert mentions.threshold(question) is None, question
    above, below = Threshold(9.0, True, False), Threshold(14.0, False, False)
    assert above.holds(9.5) and not above.holds(9.0) and not below.holds(14.0) and below.holds(3.0)
    assert Threshold(3.0, True, True).holds(3.0) and Threshold(3.0, False, True).holds(3.0)


def test_a_comparison_with_a_number_is_answered_from_the_measured_number():
    """The measured value is the number at the place where the tool's alternative at the question's
    number names that number (duration, tempo, a count), whatever other numbers the line has."""
    from env.reasoners import ReasonRequest
    from env.reasoners.contrast import compared_number

    def request(tool, data, question):
        text = tool.describe(data["count"] if isinstance(tool, SpeakerCountTool) else data)  # the count alone
        executor = ToolExecutor([tool])
        result = ToolResult(tool.name, True, data, text, contrasts=tool.contrast_texts(data))
        return ReasonRequest(question, ("yes", "no"), (text,), "", executor.contrasts([result], question, ["yes", "no"]))

    duration, tempo, events = DurationTool(), TempoTool(), EventCountTool()
    assert compared_number(request(duration, {"seconds": 19.0}, "Is it longer than 9 seconds?")) is True
    assert compared_number(request(duration, {"seconds": 9.0}, "Is this clip shorter than 14 seconds?")) is True
    assert compared_number(request(duration, {"seconds": 19.0}, "Is this clip shorter than 14 seconds?")) is False
    assert compared_number(request(duration, {"seconds": 19.0}, "Is it not longer than 9 seconds?")) is False
    # the duration tool names the question's "18s" among its alternatives, so its reading decides
    assert compared_number(request(duration, {"seconds": 19.0}, "Does the duration of the sound exceed 18s?")) is True
    assert compared_number(request(duration, {"seconds": 19.0}, "Does the duration of the sound exceed 20s?")) is False
    steady = {"bpm": 72.0, "start_bpm": 72.0, "end_bpm": 72.0, "change": "steady"}
    # the line's first number is the beat period (0.83 s): the tempo is the one the alternative changes to 47
    assert compared_number(request(tempo, steady, "Is it faster than 47 BPM?")) is True
    assert compared_number(request(tempo, steady, "Is the tempo slower than 98 BPM?")) is True
    six = {"count": 6, "durations": [], "segments": []}
    assert compared_number(request(events, six, "Are there more than 6 chirps?")) is False  # equal: not more
    assert compared_number(request(events, six, "Are there at least six chirps?")) is True
    assert compared_number(request(events, {**six, "count": 3}, "Do you hear more than two claps?")) is True
    # a count said to be a number (rule v37), never read off a count of people
    assert compared_number(request(events, {**six, "count": 3}, "Is the number of tones three?")) is True
    assert compared_number(request(events, {**six, "count": 3}, "Is the number of tones two?")) is False
    speakers = SpeakerCountTool()
    assert compared_number(request(speakers, {"count": 2}, "Is the number of spoken phrases two?")) is None
    assert compared_number(request(speakers, {"count": 2}, "Is the number of different voices two?")) is True
    # no comparison, or no line that says which number is the measured one: the other rules decide
    assert compared_number(request(duration, {"seconds": 19.0}, "Is the recording 9 seconds long?")) is None
    assert compared_number(ReasonRequest("Is it longer than 9 seconds?", ("yes", "no"), ("It is long.",))) is None
    # every tool called: a length above 9 and the event counter's alternative at 9 events, below it;
    # the value in the question's unit decides, and with no unit there is no one reading
    lines = ("The clip lasts 19.0 seconds.", "Number of separate sound events (beeps, tones): 3.")
    alternatives = (("The clip lasts 9.0 seconds.",), ("Number of separate sound events (beeps, tones): 9.",))
    assert compared_number(ReasonRequest("Is it longer than 9 seconds?", ("yes", "no"), lines, "", alternatives)) is True
    assert compared_number(ReasonRequest("Is it more than 9?", ("yes", "no"), lines, "", alternatives)) is None
    # a note compared with a named note: the MIDI numbers of the pitch line's note and the named one
    pitch, e4 = PitchTool(), {"tones": [{"hz": 329.6, "note": "E4"}]}
    assert compared_number(request(pitch, e4, "Is the note in this clip higher than D#4?")) is True
    assert compared_number(request(pitch, e4, "Would you say it is higher-pitched than F4?")) is False
    assert compared_number(request(pitch, e4, "Is the held note no higher than Bb3?")) is False
    assert compared_number(request(pitch, e4, "Would the key sit to the left of the note C5?")) is True
    two = {"tones": [{"hz": 329.6, "note": "E4"}, {"hz": 440.0, "note": "A4"}], "second_vs_first_semitones": 5.0}
    assert compared_number(request(pitch, two, "Is the note higher than F4?")) is None  # two notes: no one reading
    # a count the line writes in words ("Two people speak in the clip.") is read as a number too
    assert compared_number(request(events, six, "Are there exactly 6 claps?")) is True  # an equality: the count
    assert compared_number(request(events, six, "Are there exactly five claps?")) is False
    for people, question, answer in ((2, "Does more than one person speak in this clip?", True),
                                     (1, "Is there more than one speaker?", False),
                                     (3, "Are fewer than 3 voices heard?", False),
                                     (2, "Y/N: there are 2 or more different voices.", True),
                                     (1, "Is this clip a monologue by a single speaker?", True),
                                     (3, "Is the number of speakers two, no more and no fewer?", False)):
        assert compared_number(request(SpeakerCountTool(), {"count": people}, question)) is answer, question
    # more than one person asked without a number: read off the speaker counter's count, never off
    # another tool's count (the event counter's three events are not three people)
    for people, question, answer in ((2, "Can you hear multiple distinct speakers in this audio?", True),
                                     (1, "Can you hear multiple distinct speakers in this audio?", False),
                                     (3, "True or false: a second, different voice can be heard.", True),
                                     (1, "Is this a conversation between different people rather than one person "
                                         "talking alone?", False)):
        assert compared_number(request(SpeakerCountTool(), {"count": people}, question)) is answer, question
    assert compared_number(request(events, {**six, "count": 3}, "Does anyone else speak after the first?")) is None
    # rule v35: a count of people never off another tool's count, another count never off people;
    # both lines together, each question reads its own
    assert compared_number(request(events, {**six, "count": 1}, "Is there only one speaker?")) is None
    assert compared_number(request(SpeakerCountTool(), {"count": 1}, "Are there exactly 3 beeps?")) is None
    assert compared_number(request(SpeakerCountTool(), {"count": 2}, "Do more than 2 different persons speak?")) is False
    lines = ("Number of separate sound events (beeps, tones): 3.", "Two people speak in the clip.")
    alternatives = (("Number of separate sound events (beeps, tones): 1.", "Number of separate sound events (beeps, tones): 2."),
                    ("One person speaks in the clip.",))
    both = lambda question: compared_number(ReasonRequest(question, ("yes", "no"), lines, "", alternatives))  # noqa: E731
    assert both("Is there only one speaker?") is False and both("Are there exactly 3 beeps?") is True
    assert both("Is there exactly one narrator?") is False and both("Are there more than 2 claps?") is True
    # rule v34: "speech" is speaking, "ppl" people
    for people, question, answer in ((2, "Verify: the speech here comes from multiple individuals.", True),
                                     (1, "do different ppl take turns talking in this clip", False)):
        assert compared_number(request(SpeakerCountTool(), {"count": people}, question)) is answer, question
    # a length is "9 seconds" to its asker at 9.02 s: no equality read off a measure
    assert compared_number(request(duration, {"seconds": 9.02}, "Is it exactly 9 seconds long?")) is None


def test_an_equality_names_one_whole_count():
    """`equal_count`: "exactly", "precisely", "just", "only", "equal to", "a single" and "no more and no
    fewer" before or after one whole number; not a measure, two numbers or a comparison."""
    from tools.mentions import Threshold, equal_count

    assert equal_count("Is the number of different speakers exactly 2?") == Threshold(2.0, None, True, "")
    assert equal_count("Would you say the count is two, no more and no fewer?") == Threshold(2.0, None, True, "")
    assert equal_count("Is this a monologue by a single speaker?") == Threshold(1.0, None, True, "speaker")
    assert equal_count("Is there only one voice?").value == equal_count("Does the count equal 1?").value == 1.0
    assert equal_count("Are precisely three people talking?").unit == "people"
    for question in ("Is the clip exactly 9 seconds long?", "Is it exactly 120 BPM?", "Is the tone exactly 440 Hz?",
                     "Is it only 2 or 3 people?", "Are there at least 2, exactly as said?", "Are there 4 claps?",
                     "Is the same person speaking throughout?"):
        assert equal_count(question) is None, question
    assert not Threshold(2.0, None, True).holds(3.0) and not Threshold(2.0, None, True).holds(1.0)


def test_a_count_said_to_be_a_number_is_an_equality():
    """Rule v37: "Is the number of X N?" (the number ending the question, no "exactly") asks whether
    the count is N; not a measure counted ("the number of seconds"), a comparison, two numbers, or
    a number that does not end the question."""
    from tools.mentions import Threshold, equal_count

    assert equal_count("Is the number of spoken phrases three?") == Threshold(3.0, None, True, "phrases")
    assert equal_count("Is the count of beeps in the clip 5?") == Threshold(5.0, None, True, "beeps")
    assert equal_count("is the total number of voices two") == Threshold(2.0, None, True, "voices")
    for question in ("Is the number of seconds 9?", "Is the number of knocks per minute 120?",
                     "Is the number of beeps greater than 3?", "Is the number of beeps 3 or 4?",
                     "What is the number of beeps?", "Is the number of beeps 3 in the first half?",
                     "Does the number of times someone talks differ from three?",
                     "Is the count of separate spoken phrases something other than 3?"):
        assert equal_count(question) is None, question


def test_more_than_one_person_asked_without_a_number():
    """`several_speak`: plural people ("multiple speakers"), one more person ("a second voice",
    "anyone else") or a conversation, with no number in what is asked; not a count of sounds, a
    length ("a second"), a question that names a number or asks how many."""
    from tools.mentions import Threshold, several_speak

    more = Threshold(1.0, True, False, "people")
    for question in ("Can you hear multiple distinct speakers in this audio?", "Do several people talk here?",
                     "True or false: a second, different voice can be heard at some point.",
                     "Does another person speak after the first?", "Does anyone else say something?",
                     "Is this a conversation or dialogue between different people rather than one person alone?",
                     "Is it an interview?"):
        assert several_speak(question) == more, question
    for question in ("Is there another tone after the first?", "Does the second sound last longer?",
                     "Does it last more than a second?", "Are there two different speakers?",
                     "Does more than one person speak?", "How many different speakers are there?",
                     "Is the same person speaking throughout?", "Do the multiple beeps get louder?",
                     "Is it a monologue rather than several people taking turns?"):
        assert several_speak(question) is None, question
    assert Threshold(2.0, None, True).holds(2.0)


def test_a_comparison_typed_as_a_symbol_is_spelled_in_words():
    """`spelled_comparisons`: a symbol before a number is the comparison's words, so `threshold`
    and `equal_count` read it; a symbol before no number is left as it is."""
    from tools.mentions import Threshold, equal_count, spelled_comparisons, threshold

    assert spelled_comparisons("Speaker count = 2?") == "Speaker count exactly 2?"
    assert equal_count(spelled_comparisons("Speaker count = 2?")) == Threshold(2.0, None, True)
    assert equal_count(spelled_comparisons("claps == three?")) == Threshold(3.0, None, True)
    assert threshold(spelled_comparisons("Is it > 5 s long?")) == (Threshold(5.0, True, False, "second"), False)
    assert threshold(spelled_comparisons("tempo >= 120 BPM?")) == (Threshold(120.0, True, True, "bpm"), False)
    assert threshold(spelled_comparisons("length≤9s?")) == (Threshold(9.0, False, True, "second"), False)
    assert threshold(spelled_comparisons("voices < 3 ?")) == (Threshold(3.0, False, False), False)
    assert spelled_comparisons("number of claps != 4?") == "number of claps other than 4?"
    # "more than a single narrator" is a comparison with one, not "a single narrator"
    assert threshold("Does it feature more than a single narrator?") == (Threshold(1.0, True, False, "narrator"), False)
    assert equal_count("Does it feature more than a single narrator?") is None
    for question in ("Is A = B?", "Is the tone -> louder?", "Does x > y hold?", "Identify the note (A4 = 440 Hz).",
                     "Is 3 > 2?"):
        assert spelled_comparisons(question) == question


def test_a_question_is_worded_in_the_lines_words():
    """Verb phrases keep their form, a group is kept, a replacement is not rewritten again, and a
    wording applies only where the lines say its key."""
    from tools.mentions import in_the_lines_words, phrase_wordings, verb_wordings

    wordings = (*verb_wordings(["die|dies|dying|died away"], "get|gets|getting|got quieter", "quieter"),
                *phrase_wordings([r"continuous (\w+)"], r"\1 without a break", "without a break"),
                *phrase_wordings([r"a break"], "a silent gap", "silent gap"))
    lines = "The sound runs without a break. The sound gets quieter. A silent gap."
    assert in_the_lines_words("Does it die away?", wordings, lines) == "Does it get quieter?"
    assert in_the_lines_words("Is it dying  away?", wordings, lines) == "Is it getting quieter?"
    assert in_the_lines_words("It dies away?", wordings, lines) == "It gets quieter?"
    assert in_the_lines_words("Is it one continuous hum?", wordings, lines) == "Is it one hum without a break?"
    assert in_the_lines_words("Is there a break?", wordings, lines) == "Is there a silent gap?"
    assert in_the_lines_words("Does it die away?", wordings, "The pitch goes up.") == "Does it die away?"


def test_a_yes_no_question_is_read_without_its_negation():
    """One negation is taken out and the answer is then the other; a question opened by a negated
    auxiliary asks for agreement (no flip); "or not", "not only" and two negations stay."""
    from tools.mentions import unnegated

    assert unnegated("Is the second tone not higher than the first?") == ("Is the second tone higher than the first?", True)
    assert unnegated("Does the melody fail to rise?") == ("Does the melody rise?", True)
    assert unnegated("Does the hum fail to grow louder?") == ("Does the hum grow louder?", True)
    assert unnegated("Is it false that the tone gets louder?") == ("Is it true that the tone gets louder?", True)
    assert unnegated("Is it true that the pitch doesn't drop?") == ("Is it true that the pitch does drop?", True)
    assert unnegated("Does the tone never get louder?") == ("Does the tone ever get louder?", True)
    assert unnegated("Is there no gap in the sound?") == ("Is there any gap in the sound?", True)
    # a question about a statement, and a value other than a number
    assert unnegated("Would it be wrong to say there are at most 4 claps?") == (
        "Would it be right to say there are at most 4 claps?", True)
    assert unnegated("Is it untrue that the tone rises?") == ("Is it true that the tone rises?", True)
    assert unnegated("Is 5 the wrong count for the claps?") == ("Is 5 the right count for the claps?", True)
    assert unnegated("Is the number of knocks something other than 6?") == ("Is the number of knocks equal to 6?", True)
    assert unnegated("Does the count of claps differ from five?") == ("Does the count of claps equal five?", True)
    assert unnegated("Is the total different from 3?") == ("Is the total equal to 3?", True)
    assert unnegated("the count is something other than 6.") == ("the count is equal to 6.", True)
    assert unnegated("Would it be inaccurate to describe the clip as 9 s long?") == (
        "Would it be right to describe the clip as 9 s long?", True)
    assert unnegated("Am I wrong in thinking the speech comes after the beep?") == (
        "Am I right in thinking the speech comes after the beep?", True)
    assert unnegated("am i mistaken if i count 3 separate sentences here?") == (
        "am i right if i count 3 separate sentences here?", True)
    assert unnegated("Would I be wrong if I said the voice is male?") == ("Would I be right if I said the voice is male?", True)
    # someone else's claim, judged at the end: "Is that listener mistaken?" asks whether the claim is wrong
    assert unnegated("A listener claimed this clip has exactly two talkers. Is that listener mistaken?") == (
        "A listener claimed this clip has exactly two talkers. Is that listener right?", True)
    assert unnegated("My friend counted 3 voices. Is he wrong?") == ("My friend counted 3 voices. Is he right?", True)
    assert unnegated("Someone says 4 knocks. is that wrong") == ("Someone says 4 knocks. is that right", True)
    assert unnegated("Is the listener wrong about the count?") == ("Is the listener wrong about the count?", False)
    assert unnegated("My notes list 4 lines. Does the audio disagree with that number?") == (
        "My notes list 4 lines. Does the audio agree with that number?", True)
    assert unnegated("Would it be a mistake to call the speaker a woman?") == (
        "Would it be right to call the speaker a woman?", True)
    assert unnegated("Is it incorrect to label the voice as male?") == ("Is it right to label the voice as male?", True)
    assert unnegated("Can we rule out the hum lasting beyond 7 seconds?") == (
        "Can we confirm the hum lasting beyond 7 seconds?", True)
    assert unnegated("Won't it stop?") == ("Will it stop?", False)
    assert unnegated("Isn't the second tone lower than the first?") == ("Is the second tone lower than the first?", False)
    for question in ("Is it rising or not?", "Is it false that it never stops?", "Is this not only loud but long?",
                     "Not counting the noise, do you hear someone speak more than five times?",
                     "Is there any sound other than speech?", "Does the second tone differ from the first?",
                     "Is the second tone higher than the first?", "Does the hum get louder?"):
        assert unnegated(question) == (question, False)


def test_the_pitch_tools_words_apply_under_a_line_of_two_tones_only():
    """A question's words for a pitch going up or down, or a tone higher or lower, are asked in the
    pitch line's words; under a line of one tone, or another tool's, they stay."""
    from tools.mentions import in_the_lines_words
    from tools.pitch import PitchTool

    two = "Tone 1: 300 Hz (D4); tone 2: 400 Hz (G4). The pitch goes up: the second tone is higher."
    asked = lambda q, lines=two: in_the_lines_words(q, PitchTool.question_words, lines)  # noqa: E731
    assert asked("Does the melody descend?") == "Does the melody go down?"
    assert asked("Is the pitch climbing?") == "Is the pitch going up?"
    assert asked("Does the synth step up in pitch?") == "Does the synth go up in pitch?"
    assert asked("Is the second note higher-pitched than the first one?") == "Is the second note higher than the first one?"
    assert asked("Is the second beep deeper than the first?") == "Is the second beep lower than the first?"
    assert asked("Is the closing note pitched above the opening note?") == "Is the closing note higher than the opening note?"
    assert asked("Is the later tone at a higher frequency than the earlier one?") == "Is the later tone higher than the earlier one?"
    assert asked("Does the sequence go from low to high?") == "Does the sequence go up?"
    assert asked("Would you say the second beep is squeakier?") == "Would you say the second beep is higher?"
    # the loudness tool's words stay its own; one tone, or no pitch line: nothing is reworded
    assert asked("Does it rise in volume?") == "Does it rise in volume?"
    assert asked("Does the hum drop off at the end?") == "Does the hum drop off at the end?"
    assert asked("Does the melody descend?", "One steady tone at 440 Hz: the note A4.") == "Does the melody descend?"
    assert asked("Does the melody descend?", "The sound gets quieter.") == "Does the melody descend?"


def test_a_set_aside_alternative_and_other_verdicts_are_read():
    """"rather than", "instead of" and "as opposed to" set an alternative aside: the question asks
    the first; "correct" / "incorrect" and the like are a statement's verdicts as "true" / "false"
    are, and name no sound."""
    from tools.mentions import sound_names, verdicts, without_set_aside

    assert without_set_aside("Does this clip feature a female speaker rather than a male one?") == (
        "Does this clip feature a female speaker?")
    assert without_set_aside("Is the sound fading in, rather than staying at one level?") == "Is the sound fading in?"
    assert without_set_aside("Is it a man's voice instead of a woman's?") == "Is it a man's voice?"
    assert without_set_aside("Is the speaker a man?") == "Is the speaker a man?"
    assert verdicts(["Correct", "incorrect"]) == ("correct", "incorrect")
    assert verdicts(["False", "True"]) == ("true", "false") and verdicts(["yes", "no"]) is None
    assert verdicts(["right", "wrong", "unsure"]) is None
    assert verdicts(["Y", "N"]) == ("y", "n")  # yes and no in one letter
    assert verdicts(["Disagree", "agree"]) == ("agree", "disagree")
    assert sound_names("Correct or incorrect: the voice comes before the knocking.", ["correct", "incorrect"]) == (
        sound_names("True or false: the voice comes before the knocking.", ["true", "false"]))


def test_a_phrase_a_question_names_and_its_absence_are_read():
    """A phrase is named quoted or after "the sentence:"; a choice's spoken part is what it quotes or
    what follows its colon; "absent from", "lack", "mismatch", "cannot", "other than 'X'" negate
    what is asked, and a "not" inside the quoted phrase is what is said, not a negation."""
    from tools.mentions import answers_whether, phrase_words, quoted_phrase, spoken_part, unnegated

    assert quoted_phrase("Does it contain the sentence: We are late?") == "We are late"
    assert quoted_phrase("Is ‘we are late’ what the voice says?") == "we are late"
    assert quoted_phrase("True or false: the speaker says we are late.") is None  # no cue before the colon
    assert spoken_part('Someone says "we are late"') == "we are late"
    assert spoken_part("The speaker says: We are late") == spoken_part("Caption: We are late") == "We are late"
    assert spoken_part("turn left") == "turn left"
    assert phrase_words("'we don't know'") == ["we", "don't", "know"]
    assert answers_whether(["True", "False"]) and answers_whether(["no", "yes"]) and not answers_whether(["a", "b"])
    assert unnegated("Is the sentence 'we are late' absent from this audio?") == (
        "Is the sentence 'we are late' in this audio?", True)
    assert unnegated("Does this clip lack the line 'we are late'?") == ("Does this clip have the line 'we are late'?", True)
    assert unnegated("Would the caption 'we are late' be a mismatch?")[1] is True
    assert unnegated('The words "we are late" cannot be heard.') == ('The words "we are late" can be heard.', True)
    assert unnegated("Does she say something other than 'we are late'?") == ("Does she say exactly 'we are late'?", True)
    assert unnegated("Does the speaker say 'I am not ready'?") == ("Does the speaker say 'I am not ready'?", False)
    assert unnegated("Does the speaker not say 'I am not ready'?") == ("Does the speaker say 'I am not ready'?", True)


def test_whether_a_named_phrase_is_said_is_read_off_the_phrase_line():
    """The phrase spotter's verdict on the phrase the question names decides, its own "not" read
    and the phrase's not; a line about another phrase, or none, leaves the other rules to decide."""
    from env.reasoners import ReasonRequest
    from env.reasoners.contrast import said_phrase
    from tools.speech import PhraseSpotTool

    def request(question, phrase, said):
        data = {"phrase": phrase, "said": said}
        tool = PhraseSpotTool()
        return ReasonRequest(question, ("yes", "no"), (tool.describe_quoted(phrase, said),), "",
                             (tuple(tool.contrast_texts(data)),))

    assert said_phrase(request('Is the sentence "We are late" spoken here?', "We are late", True)) is True
    assert said_phrase(request("Is the sentence 'we are late' spoken here?", "We are late", False)) is False
    assert said_phrase(request("Do you hear: I am not ready?", "I am not ready", True)) is None  # no cue: not named
    assert said_phrase(request("Does it contain the words: I am not ready?", "I am not ready", True)) is True
    assert said_phrase(request("Is 'I am not ready' heard?", "I am not ready", False)) is False
    assert said_phrase(request("Is 'we are early' heard?", "We are late", True)) is None
    assert said_phrase(ReasonRequest("Is 'we are late' heard?", ("yes", "no"), ("Number of speakers: 1.",))) is None
