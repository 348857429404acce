"""The tools on the signals real questions bring (drum loops, changing tempo, a music bed, babble,
two voices): known answers from eval/probe_signals.py. benchmarks/tool_signals.py measures the
same kinds over many clips; these are a few fixed cases of each."""
import re

import numpy as np
import pytest

from eval import probe_signals as ps
from tools.base import Audio
from tools.basic import LoudnessTool
from tools.events import EventCountTool, TempoTool
from tools.pitch import PitchTool
from tools.speakers import SpeakerCountTool
from tools.speech import PhraseSpotTool, SpeechSegmentsTool


def audio_of(samples):
    return Audio(samples=np.asarray(samples, dtype=np.float32), sample_rate=ps.SR, path="mem", sha256="x")


@pytest.mark.parametrize("kind,bpm,background", [("kick_hat", 72, "noise"), ("kick_hat", 150, "music"),
                                                 ("kick_snare_hat", 96, "noise"), ("kick_snare_hat", 174, "music"),
                                                 ("clicks", 64, "music")])
def test_tempo_of_drum_loops_within_4_percent(kind, bpm, background):
    rng = np.random.default_rng(bpm)
    beat = ps.beat_track(bpm, 7.0, rng, kind)
    x = (ps.add_noise(beat, 8, rng, "brown") if background == "noise"
         else ps.mix_under(beat, ps.music_bed(7.0, rng), 6))
    r = TempoTool().run(audio_of(x), "What is the tempo?", [])
    assert r.ok and abs(r.data["bpm"] - bpm) < 0.04 * bpm, r.data
    assert f"the tempo is {round(r.data['bpm'])} BPM. The beat stays steady." in r.text


@pytest.mark.parametrize("start,end,word", [(90, 130, "faster"), (140, 100, "slower"), (110, 110, "steady")])
def test_tempo_change(start, end, word):
    rng = np.random.default_rng(start)
    x = ps.add_noise(ps.beat_track(start, 9.0, rng, "kick_hat", end_bpm=end), 20, rng, "pink")
    r = TempoTool().run(audio_of(x), "Does the beat speed up or slow down?", [])
    assert r.data["change"] == word and r.text.endswith(f"{word}."), r.data
    if word != "steady":
        said = re.search(r"from (\d+) to (\d+) BPM", r.text)
        assert abs(int(said[1]) - start) < 0.15 * start and abs(int(said[2]) - end) < 0.15 * end, r.text


def test_tempo_says_nothing_without_a_beat():
    rng = np.random.default_rng(3)
    r = TempoTool().run(audio_of(ps.add_noise(ps.tone(440, 4.0, rng), 15, rng, "white")), "", [])
    assert r.ok and r.text == "" and r.data["bpm"] is None


@pytest.mark.parametrize("first,second,src", [(0.8, 1.6, "tone"), (2.0, 0.6, "noise"), (0.4, 0.9, "noise")])
def test_two_sounds_which_is_longer(first, second, src):
    rng = np.random.default_rng(int(first * 10))

    def sound(seconds):
        return (ps.tone(600, seconds, rng, "harmonic") if src == "tone"
                else ps.fade(ps.noise(int(seconds * ps.SR), "pink", rng) / 3))

    x = ps.add_noise(np.concatenate([ps.silence(0.3), sound(first), ps.silence(0.5), sound(second), ps.silence(0.3)]),
                     20, rng, "white")
    r = EventCountTool().run(audio_of(x), "Which sound is longer?", [])
    assert r.data["count"] == 2 and np.allclose(r.data["durations"], [first, second], atol=0.08), r.data
    which, other = ("second", "first") if second > first else ("first", "second")
    # only the longer sound is named: a choice that is just "first" or "second" finds its word in one outcome
    assert r.text == (f"Number of separate sound events (beeps, tones): 2. The {which} sound is longer: "
                      f"{max(first, second):.1f} s against {min(first, second):.1f} s.")
    # its contrasts: the counts with the lengths kept (only the count changes), the lengths swapped
    swapped = r.text.replace(f"The {which} sound", f"The {other} sound")
    assert r.contrasts == [r.text.replace(": 2.", f": {m}.", 1) for m in (1, 3, 4)] + [swapped]


@pytest.mark.parametrize("timbre", ["sine", "bright"])
def test_beeps_counted_under_brown_noise_and_a_music_bed(timbre):
    rng = np.random.default_rng(5)
    parts = [ps.silence(0.3)]
    for _ in range(4):
        parts += [ps.tone(700, 0.2, rng, timbre), ps.silence(0.3)]
    beeps = np.concatenate(parts)
    for x in (ps.add_noise(beeps, 10, rng, "brown"), ps.mix_under(beeps, ps.music_bed(len(beeps) / ps.SR, rng), 10)):
        r = EventCountTool().run(audio_of(x), "How many beeps?", [])
        assert r.data["count"] == 4 and r.text.endswith(": 4."), r.data


@pytest.mark.parametrize("src", ["tone", "noise", "music"])
def test_silent_gap_found_and_not_invented(src):
    rng = np.random.default_rng(7)
    body = {"tone": lambda: ps.tone(330, 4.0, rng, "bright"), "noise": lambda: ps.noise(4 * ps.SR, "pink", rng) / 4,
            "music": lambda: ps.music_bed(4.0, rng)}[src]()
    gapped = np.concatenate([ps.fade(body[: int(1.8 * ps.SR)]), ps.silence(0.6), ps.fade(body[int(2.4 * ps.SR):])])
    r = LoudnessTool().run(audio_of(ps.add_noise(gapped, 15, rng, "white")), "Is there a silent gap?", [])
    (start, end), = r.data["gaps"]
    assert abs(start - 1.8) < 0.1 and abs(end - 2.4) < 0.1, r.data
    assert r.text.startswith(f"The sound stops in the middle: a silent gap from {start:.1f} s to {end:.1f} s. ")
    steady = LoudnessTool().run(audio_of(ps.add_noise(body, 15, rng, "white")), "", [])
    assert steady.data["gaps"] == [] and steady.text.startswith("The sound runs without a break. The level")


@pytest.mark.parametrize("timbre", ["harmonic", "bright"])
def test_pitch_of_tones_over_a_music_bed(timbre):
    rng = np.random.default_rng(11)
    tones = np.concatenate([ps.silence(0.3), ps.tone(523.25, 0.6, rng, timbre), ps.silence(0.3),
                            ps.tone(392.0, 0.6, rng, timbre), ps.silence(0.3)])
    x = ps.mix_under(tones, ps.music_bed(len(tones) / ps.SR, rng), 12)
    r = PitchTool().run(audio_of(x), "Is the second tone higher or lower?", [])
    assert [t["note"] for t in r.data["tones"]] == ["C5", "G4"], r.data
    assert r.text.endswith("The pitch goes down: the second tone is lower.")


def test_utterances_counted_over_babble():
    rng = np.random.default_rng(2)
    parts = [ps.silence(0.3)]
    for phrase in ("open the door", "the car is red", "see you tomorrow"):
        parts += [ps.speak(phrase, "en-us+f2", 160), ps.silence(1.0)]
    speech = np.concatenate(parts)
    x = ps.mix_under(speech, ps.babble(len(speech) / ps.SR, rng, ["where is the train", "please sit down"], 3), 12)
    r = SpeechSegmentsTool().run(audio_of(x), "How many utterances?", [])
    assert len(r.data["speech_segments"]) == 3 and r.text.startswith("Number of separate speech segments: 3."), r.data


@pytest.mark.parametrize("question,choices,speech,other", [
    ("Is the voice heard before the beep?", ["yes", "no"], "voice", "beep"),
    ("Does the whistle come first, before anyone talks?", ["no", "yes"], "talking", "whistle"),
    ("Does the car horn sound before the man speaks?", [], "speaking", "car horn"),
    ("Does someone speak before the knocking starts?", [], "speaking", "knocking"),
    ("What do you hear last?", ["speech", "knocks"], "speech", "knocks"),
    ("Which sound opens the recording?", ["a tone", "a voice"], "voice", "tone"),
    ("Which comes first, the talking or the chirping?", ["the talking", "the chirping"], "talking", "chirping"),
    ("Does the clip start with speech?", ["yes", "no"], "speech", None),
    ("Is the beep heard first?", ["yes", "no"], None, "beep"),
    # more words for order (a place, what closes the clip), choices that state the order, a statement
    ("Which part comes second, the voice or the knocking?", ["the voice", "the knocking"], "voice", "knocking"),
    ("Does the whistle wrap up the recording?", ["yes", "no"], None, "whistle"),
    ("Which statement is correct?", ["The speaker talks first and the beep comes after.",
                                     "The beep comes first and the speaker talks after."], "talking", "beep"),
    ("Which best describes the audio?", ["a voice followed by the knocking", "the knocking followed by a voice",
                                         "they overlap"], "voice", "knocking"),
    ("True or false: the chirping opens the recording.", ["true", "false"], None, "chirping"),
    # not about speech against one sound, or not about order: no names
    ("Does the beep come before the whistle?", ["yes", "no"], None, None),
    ("Does the person speak two times?", ["yes", "no"], None, None),
    ("How long does the rushing sound last?", ["3 s", "6 s"], None, None),
    ("Does the hum last a 5 second stretch?", ["yes", "no"], None, None),
    # a property of a sound, a quoted phrase, a choice that is a clause or a count: not names
    ("How does the pitch move from the first tone to the second?", ["up", "down"], None, None),
    ('Is the sentence "turn left after the bakery" spoken first?', ["yes", "no"], None, None),
    ("How does the sound run from start to end?", ["there is a pause", "it never stops"], None, None),
    ("How many phrases come one after another?", ["two", "three"], None, None),
])
def test_an_order_question_names_its_sounds(question, choices, speech, other):
    from tools.mentions import sound_names

    assert sound_names(question, choices) == (speech, other)


PHRASE_CHOICES = ["open the door", "call my mother", "play some music", "the car is red"]


@pytest.mark.parametrize("question", [
    "What does the speaker say?", "Which phrase is spoken?", "Which of these sentences is said?",
    "What words are spoken in the recording?", "Which sentence do you hear?", "What is being said?",
    "What does the woman say after the beep?", "Which command is given?", "What is the man talking about?",
    "Transcribe the speech.", "Which word does the speaker utter?", "Which phrase was uttered?",
    "Would you say the speaker says 'open the door' or 'call my mother'?", "Which line matches the recording?"])
def test_phrase_spot_applies_when_the_question_asks_what_is_said(question):
    assert PhraseSpotTool().applicable(question, PHRASE_CHOICES)


@pytest.mark.parametrize("choices", [
    ["\u201cthe car is red\u201d", "\u201copen the door\u201d", "\u201cplay some music\u201d"],
    ['"call my mother"', '"open the door"'], ["'the car is red'", "'play some music'"]])
def test_phrase_spot_applies_where_the_choices_quote_words(choices):
    """Words quoted verbatim are words said, though the question has no word of saying."""
    assert PhraseSpotTool().applicable("Which option matches what you hear?", choices)


def test_phrase_spot_applies_where_a_yes_no_question_quotes_words():
    assert PhraseSpotTool().applicable("Would a captioner be wrong to write \u201copen the door\u201d here?", ["yes", "no"])
    assert not PhraseSpotTool().applicable("Is the \u201cdoor slam\u201d sound heard twice?", ["yes", "no"])
    assert not PhraseSpotTool().applicable("Is it \"loud\" at the end?", ["yes", "no"])  # one word


@pytest.mark.parametrize("question,choices", [
    # quoted choices that are one word, sounds, or no quotes at all
    ("Which option matches what you hear?", ['"yes"', '"no"']),
    ("Which sound do you hear?", ['"a car horn"', '"a door slam"']),
    ("Which option matches what you hear?", PHRASE_CHOICES), ("Which note is it?", ["it's E4", "it's G4"]),
    ("Which comes first, the speech or the tone?", ["speech", "tone"]),
    ("Is the speaker male or female?", ["male", "female"]), ("Who is speaking?", ["a man", "a woman"]),
    ("Is the second tone higher or lower than the first?", ["higher", "lower"]),
    ("How many times does someone speak, with pauses in between?", ["two", "three", "four"]),
    ("How many phrases are spoken, one after another?", ["two", "three"]),
    ("How many lines does the speaker read?", ["two", "three"]),
    ("Do the clicks line up with the tone or with the speech?", ["the tone", "the speech"]),
    ("In what language is the sentence spoken?", ["english", "french"]),
    ("Does the sound get louder or quieter?", ["louder", "quieter"]),
    ("What does the speaker say?", ["xqzt", "vvkr"]),  # no choice the recognizer knows
    ("Is the speaker a woman?", ["yes", "no"]), ("Does the speaker say something?", ["yes", "no"]),
    # the listener's judgement, and utterances as units of speech
    ("Would you say this is a monologue or a conversation?", ["monologue", "conversation"]),
    ("Are the utterances all from one speaker, or from different people?", ["one speaker", "different people"]),
    ("What is the total number of distinct utterances in this recording?", ["two", "three"])])
def test_phrase_spot_does_not_apply_otherwise(question, choices):
    assert not PhraseSpotTool().applicable(question, choices)


def test_phrase_spot_yes_no_on_a_quoted_phrase():
    tool = PhraseSpotTool()
    questions = ['Does the speaker say "open the door"?', "Is the phrase 'open the door' spoken?",
                 "Do you hear someone say \u201copen the door\u201d?"]
    assert all(tool.applicable(q, ["yes", "no"]) for q in questions)
    rng = np.random.default_rng(4)
    for said, voice in (("open the door", "en-us+m3"), ("please sit down", "en-us+f2")):
        x = ps.add_noise(np.concatenate([ps.silence(0.3), ps.speak(said, voice, 150), ps.silence(0.3)]), 20, rng, "pink")
        r = tool.run(audio_of(x), questions[0], ["yes", "no"])
        want = "says" if said == "open the door" else "does not say"
        assert r.text == f'The speaker {want} "open the door".', r.data


@pytest.mark.parametrize("voices,n", [(["en-us+m3", "en-us+m3", "en-us+m3"], 1), (["en-us+m1", "en-us+f3"], 2),
                                      (["en-us+f2", "en-us+m7", "en-us+f2", "en-us+m7"], 2)])
def test_speaker_count(voices, n):
    parts = [ps.silence(0.3)]
    for voice, phrase in zip(voices, ["open the door", "the car is red", "see you tomorrow", "please sit down"]):
        parts += [ps.speak(phrase, voice, 160), ps.silence(0.8)]
    rng = np.random.default_rng(len(voices))
    r = SpeakerCountTool().run(audio_of(ps.add_noise(np.concatenate(parts), 20, rng, "pink")), "How many speakers?", [])
    assert r.data["count"] == n and r.text == ["One person speaks", "Two people speak"][n - 1] + " in the clip.", r.data
    assert len(r.data["segments"]) == len(voices)
    assert SpeakerCountTool().run(audio_of(ps.tone(200, 1.0, rng)), "", []).text == "No voice was found."


def test_speech_side_contrasts_are_the_other_outcomes():
    assert SpeakerCountTool().contrast_texts({"count": 2}) == ["One person speaks in the clip.",
                                                               "Three people speak in the clip."]
    assert PhraseSpotTool().contrast_texts({"phrase": "open the door", "said": True}) == [
        'The speaker does not say "open the door".']
    vad = SpeechSegmentsTool().contrast_texts({"speech_segments": [[0, 1], [2, 3]], "heard_first": "tone",
                                               "other_first_kind": "tone"})
    assert "Number of separate speech segments: 3. Heard first: the tone. The tone comes before the speech." in vad
    assert vad[-1] == "Number of separate speech segments: 2. Heard first: the speech. The speech comes before the tone."
    asked = SpeechSegmentsTool().question_contrasts({"speech_segments": [[0, 1], [2, 3]], "heard_first": "tone",
                                                     "other_first_kind": "tone"}, "Are there five utterances?", ["no", "yes"])
    assert asked == ["Number of separate speech segments: 5. Heard first: the tone. The tone comes before the speech."]
