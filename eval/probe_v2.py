"""Probe benchmark v2: the same exact-answer idea as v1, with the variety real questions have.

v1 (eval/probe.py) asks each of ten question types in a handful of wordings, with choices in
the tools' own words, over sine tones, clicks and one espeak voice in white or pink noise. v2
keeps those ten families and adds four (which of two sounds is longer, how many different
speakers, does the beat speed up, is there a silent gap), and varies, per item:

- the form: a multiple choice in one of several phrasings (digits or number words or units;
  `higher`/`lower` or `it goes up`/`it goes down`; `speech` or `someone talking`, ...), or a
  yes/no question about one value (about a third of every family's items, yes half the time);
- the question's wording: many templates per family and form;
- the signal: sine, harmonic or bright tones; click tracks or drum loops; a music bed under the
  beeps; babble behind the speaker; white, pink or brown noise; a reverberant room; espeak
  voice variants and speeds; clips from 1 to 30 s.

Each item records `task` (family), `form` (choice | yesno), `signal` (the main signal kind) and
`background`, so a run can hold out families or signal kinds (eval/probe.py `generate`), and
`expert_tool`, the tool that measures what the question asks.

Over 400 lines on purpose: fourteen family functions of one screen each, read side by side;
split across modules they would scatter one generator.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from eval import probe_signals as sig
from eval.probe_signals import silence, speak, tone

NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve"]
PHRASES = [
    "open the door", "turn on the light", "call my mother", "the cat is sleeping", "close the window",
    "play some music", "it is raining today", "where is the train", "good morning everyone",
    "the water is cold", "please sit down", "bring me the book", "the car is red", "we need more time",
    "the dog ran away", "see you tomorrow", "the kettle is boiling", "wait for me here",
    "the bus is late again", "put it on the table", "she likes green apples", "turn left at the corner",
    "my phone is ringing", "the garden needs water",
]
VOICES = {"male": sig.MALE_VOICES + sig.MORE_MALE_VOICES, "female": sig.FEMALE_VOICES + sig.MORE_FEMALE_VOICES}


class Question:
    """What a family function returns: the clip, the question and its choices, and labels."""

    def __init__(self, audio, question, choices, answer, category, sub_category, expert_tool, form, signal):
        self.audio, self.question, self.choices, self.answer = audio, question, list(choices), answer
        self.category, self.sub_category, self.expert_tool = category, sub_category, expert_tool
        self.form, self.signal = form, signal


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _yes_no_form(rng) -> bool:
    return rng.random() < 1 / 3


def _ask_yes_no(rng, templates: list[str], true_value, false_values: list, render=str):
    """(question, answer): a yes/no question about `true_value` (yes) or a wrong value (no)."""
    truth = rng.random() < 0.5
    value = true_value if truth else _pick(rng, false_values)
    return _pick(rng, templates).format(v=render(value)), "yes" if truth else "no"


SINGULAR = {" beeps": " beep", " times": " time", " utterances": " utterance", " speakers": " speaker",
            " people": " person"}


def _number(n: int, style: str, unit: str = "") -> str:
    """3 -> "3", "three", "3 beeps", "three times"; one -> "1 beep", "one person"."""
    return {"digits": str(n), "words": NUMBER_WORDS[n]}[style] + (SINGULAR.get(unit, unit) if n == 1 else unit)


def _number_choices(answer: int, lo: int, hi: int, rng, render, k: int = 4) -> list[str]:
    pool = [v for v in range(lo, hi + 1) if v != answer]
    return [render(answer)] + [render(int(v)) for v in rng.choice(pool, size=k - 1, replace=False)]


def _voice(rng, register: str | None = None) -> str:
    return _pick(rng, VOICES[register or _pick(rng, ["male", "female"])])


def _say(rng, text: str, voice: str | None = None) -> np.ndarray:
    return speak(text, voice or _voice(rng), int(rng.integers(110, 200)))


def _timbre(rng) -> str:
    return _pick(rng, list(sig.TIMBRES))


# ---------------------------------------------------------------- the ten v1 families, varied

def family_count(rng) -> Question:
    n, timbre = int(rng.integers(2, 7)), _timbre(rng)
    freq = rng.uniform(500, 1500)
    parts = [silence(rng.uniform(0.2, 1.0))]
    for _ in range(n):
        parts += [tone(freq, rng.uniform(0.1, 0.3), rng, timbre) * rng.uniform(0.6, 1.0), silence(rng.uniform(0.2, 0.5))]
    audio = np.concatenate(parts)
    signal = f"{timbre} beeps"
    if rng.random() < 0.3:
        audio, signal = sig.mix_under(audio, sig.music_bed(len(audio) / sig.SR, rng), rng.uniform(10, 16)), signal + " + music"
    style = _pick(rng, ["digits", "words"])
    if _yes_no_form(rng):
        q, a = _ask_yes_no(rng, ["Are there exactly {v} beeps?", "Does the beep sound {v} times?",
                                 "Can you hear {v} beeps in total?", "Is the number of tones {v}?"],
                           n, [m for m in (n - 1, n + 1, n + 2) if m >= 1], lambda m: _number(m, style))
        return Question(audio, q, ["yes", "no"], a, "sound", "event counting", "events", "yesno", signal)
    unit = _pick(rng, ["", " beeps", " times"])
    render = lambda m: _number(m, style, unit)  # noqa: E731
    q = _pick(rng, ["How many beeps are there in the recording?", "How many separate tones can you hear?",
                    "Count the beeps. How many are there?", "How many times does the beep sound?",
                    "What is the number of short tones in this clip?", "How many pips do you hear?"])
    return Question(audio, q, _number_choices(n, 1, 8, rng, render), render(n), "sound", "event counting",
                    "events", "choice", signal)


def family_pitch_compare(rng) -> Question:
    f1, timbre = 2 ** rng.uniform(np.log2(250), np.log2(900)), _timbre(rng)
    up = rng.random() < 0.5
    f2 = f1 * 2 ** (rng.uniform(3, 8) * (1 if up else -1) / 12)
    audio = np.concatenate([silence(0.2), tone(f1, rng.uniform(0.4, 0.8), rng, timbre), silence(rng.uniform(0.2, 0.4)),
                            tone(f2, rng.uniform(0.4, 0.8), rng, timbre), silence(0.2)])
    if _yes_no_form(rng):
        asked_up = rng.random() < 0.5
        q = _pick(rng, ["Is the second tone higher than the first?", "Does the pitch go up from the first tone to the second?",
                        "Is the second note higher in pitch?"] if asked_up else
                       ["Is the second tone lower than the first?", "Does the pitch go down from the first tone to the second?",
                        "Is the second note lower in pitch?"])
        return Question(audio, q, ["yes", "no"], "yes" if asked_up == up else "no", "music", "pitch comparison",
                        "pitch", "yesno", timbre)
    pair = _pick(rng, [("higher", "lower"), ("it goes up", "it goes down"), ("rises", "falls"),
                       ("the second is higher", "the second is lower"), ("up", "down")])
    q = _pick(rng, ["Is the second tone higher or lower than the first?", "How does the pitch move from the first tone to the second?",
                    "Compared with the first tone, where is the second one in pitch?", "Which way does the melody go?"])
    return Question(audio, q, list(pair), pair[0] if up else pair[1], "music", "pitch comparison", "pitch", "choice", timbre)


def family_note(rng) -> Question:
    midi_pool, timbre = list(range(60, 72)), _pick(rng, ["harmonic", "bright", "sine"])
    midi = int(rng.choice(midi_pool))
    octave = rng.random() < 0.5
    name = lambda m: f"{NOTE_NAMES[m % 12]}{m // 12 - 1}" if octave else NOTE_NAMES[m % 12]  # noqa: E731
    audio = np.concatenate([silence(0.2), tone(440.0 * 2 ** ((midi - 69) / 12), rng.uniform(0.8, 2.0), rng, timbre),
                            silence(0.2)])
    others = [int(m) for m in rng.choice([m for m in midi_pool if m != midi], size=3, replace=False)]
    if _yes_no_form(rng):
        q, a = _ask_yes_no(rng, ["Is the note that is played {v}?", "Is this tone the note {v}?", "Does the instrument play {v}?"],
                           midi, others, name)
        return Question(audio, q, ["yes", "no"], a, "music", "note identification", "pitch", "yesno", timbre)
    prefix = _pick(rng, ["", "the note "])
    q = _pick(rng, ["Which musical note is played?", "What note does the instrument play?", "Which note is this tone?",
                    "Name the pitch of this note.", "What is the note?"])
    return Question(audio, q, [prefix + name(m) for m in [midi] + others], prefix + name(midi), "music",
                    "note identification", "pitch", "choice", timbre)


BPM_POOL = [60, 75, 90, 105, 120, 135, 150, 165, 180]


def family_tempo(rng) -> Question:
    bpm, kind = int(rng.choice(BPM_POOL)), _pick(rng, list(sig.BEAT_KINDS))
    audio = sig.beat_track(bpm, rng.uniform(4.0, 8.0), rng, kind)
    others = [int(b) for b in rng.choice([b for b in BPM_POOL if b != bpm], size=3, replace=False)]
    unit = _pick(rng, [" BPM", " beats per minute", " bpm"])
    if _yes_no_form(rng):
        q, a = _ask_yes_no(rng, ["Is the tempo about {v}?", "Does the beat play at {v}?", "Is this played at {v}?"],
                           bpm, others, lambda b: f"{b}{unit}")
        return Question(audio, q, ["yes", "no"], a, "music", "tempo", "tempo", "yesno", kind)
    q = _pick(rng, ["What is the tempo of this track?", "How fast is the beat?", "At what tempo does the beat play?",
                    "What is the speed of the rhythm in beats per minute?", "Estimate the tempo."])
    return Question(audio, q, [f"{b}{unit}" for b in [bpm] + others], f"{bpm}{unit}", "music", "tempo", "tempo",
                    "choice", kind)


def family_duration(rng) -> Question:
    seconds = int(rng.integers(1, 11)) if rng.random() < 0.7 else int(rng.integers(11, 31))
    kind = _pick(rng, ["tone", "noise", "music"])
    body = {"tone": lambda: tone(rng.uniform(200, 1000), seconds, rng, _timbre(rng)),
            "noise": lambda: 0.25 * sig.noise(seconds * sig.SR, _pick(rng, list(sig.NOISE_COLOURS)), rng),
            "music": lambda: sig.music_bed(seconds, rng)}[kind]()
    unit = _pick(rng, ["seconds", "s", "sec"])
    render = lambda n: ("1 second" if n == 1 else f"{n} seconds") if unit == "seconds" else f"{n} {unit}"  # noqa: E731
    if _yes_no_form(rng):
        q, a = _ask_yes_no(rng, ["Does the clip last about {v}?", "Is the recording {v} long?", "Is this clip {v} long?"],
                           seconds, [s for s in (seconds - 3, seconds - 2, seconds + 2, seconds + 3) if s >= 1], render)
        return Question(body.astype(np.float32), q, ["yes", "no"], a, "sound", "duration", "duration", "yesno", kind)
    q = _pick(rng, ["How long is this audio clip?", "What is the duration of the recording?",
                    "How many seconds does the clip last?", "For how long does the sound play?"])
    return Question(body.astype(np.float32), q, _number_choices(seconds, 1, 30, rng, render), render(seconds),
                    "sound", "duration", "duration", "choice", kind)


def family_loudness(rng) -> Question:
    louder, seconds = rng.random() < 0.5, rng.uniform(2.0, 6.0)
    kind = _pick(rng, ["tone", "noise", "music"])
    body = {"tone": lambda: tone(rng.uniform(200, 1000), seconds, rng, _timbre(rng)),
            "noise": lambda: sig.noise(int(seconds * sig.SR), _pick(rng, list(sig.NOISE_COLOURS)), rng) / 4,
            "music": lambda: sig.music_bed(seconds, rng)}[kind]()
    span = rng.uniform(15, 30)
    db = np.linspace(-span, 0, len(body)) if louder else np.linspace(0, -span, len(body))
    audio = (body * 10 ** (db / 20)).astype(np.float32)
    if _yes_no_form(rng):
        asked_louder = rng.random() < 0.5
        q = _pick(rng, ["Does the sound get louder?", "Is the volume increasing?", "Does the sound swell?",
                        "Does it grow louder over time?"] if asked_louder else
                       ["Does the sound fade out?", "Is the volume decreasing?", "Does the sound get quieter?",
                        "Does it die away over time?"])
        return Question(audio, q, ["yes", "no"], "yes" if asked_louder == louder else "no", "sound", "loudness trend",
                        "loudness", "yesno", kind)
    pair = _pick(rng, [("louder", "quieter"), ("gets louder", "fades out"), ("it rises", "it falls"),
                       ("increases", "decreases"), ("it swells", "it fades away")])
    q = _pick(rng, ["Does the sound get louder or quieter over time?", "How does the volume change over the clip?",
                    "What happens to the loudness?", "Over time, the level of the sound..."])
    return Question(audio, q, list(pair), pair[0] if louder else pair[1], "sound", "loudness trend", "loudness",
                    "choice", kind)


def _speech_bed(rng, speech: np.ndarray) -> tuple[np.ndarray, str]:
    """Speech alone, or (a third of the time) with babble 10-16 dB below it."""
    if rng.random() < 1 / 3:
        return sig.mix_under(speech, sig.babble(len(speech) / sig.SR, rng, PHRASES, talkers=3),
                             rng.uniform(10, 16)), "speech + babble"
    return speech, "speech"


def family_phrase(rng) -> Question:
    choices = [PHRASES[i] for i in rng.choice(len(PHRASES), size=4, replace=False)]
    audio, signal = _speech_bed(rng, np.concatenate([silence(rng.uniform(0.2, 0.8)), _say(rng, choices[0]),
                                                     silence(rng.uniform(0.2, 0.8))]))
    if _yes_no_form(rng):
        q, a = _ask_yes_no(rng, ['Does the speaker say "{v}"?', 'Is the phrase "{v}" spoken?',
                                 'Do you hear someone say "{v}"?'], choices[0], choices[1:])
        return Question(audio, q, ["yes", "no"], a, "speech", "phrase recognition", "phrase_spot", "yesno", signal)
    q = _pick(rng, ["Which phrase is spoken?", "What does the speaker say?", "Which of these sentences is said?",
                    "What words are spoken in the recording?", "Which sentence do you hear?"])
    return Question(audio, q, choices, choices[0], "speech", "phrase recognition", "phrase_spot", "choice", signal)


def family_gender(rng) -> Question:
    gender = _pick(rng, ["male", "female"])
    audio, signal = _speech_bed(rng, np.concatenate([silence(0.3), _say(rng, _pick(rng, PHRASES), _voice(rng, gender)),
                                                     silence(0.3)]))
    if _yes_no_form(rng):
        asked = _pick(rng, ["male", "female"])
        q = _pick(rng, {"male": ["Is the speaker a man?", "Is this a male voice?", "Is it a man talking?"],
                        "female": ["Is the speaker a woman?", "Is this a female voice?", "Is it a woman talking?"]}[asked])
        return Question(audio, q, ["yes", "no"], "yes" if asked == gender else "no", "speech", "speaker gender",
                        "voice", "yesno", signal)
    pair = _pick(rng, [("male", "female"), ("a man", "a woman"), ("man", "woman"), ("a male speaker", "a female speaker")])
    q = _pick(rng, ["Is the speaker male or female?", "Who is speaking?", "What is the gender of the speaker?",
                    "Is this voice a man's or a woman's?"])
    return Question(audio, q, list(pair), pair[0] if gender == "male" else pair[1], "speech", "speaker gender", "voice",
                    "choice", signal)


def family_speech_count(rng) -> Question:
    n, voice = int(rng.integers(1, 5)), _voice(rng)
    parts = [silence(rng.uniform(0.2, 0.8))]
    for _ in range(n):
        parts += [_say(rng, _pick(rng, PHRASES), voice), silence(rng.uniform(0.8, 1.6))]
    audio, signal = _speech_bed(rng, np.concatenate(parts))
    style = _pick(rng, ["digits", "words"])
    if _yes_no_form(rng):
        q, a = _ask_yes_no(rng, ["Does the person speak {v} times?", "Are there {v} separate utterances?",
                                 "Is the number of spoken phrases {v}?"],
                           n, [m for m in (n - 1, n + 1, n + 2) if m >= 1], lambda m: _number(m, style))
        return Question(audio, q, ["yes", "no"], a, "speech", "speech segment counting", "vad", "yesno", signal)
    unit = _pick(rng, ["", " times", " utterances"])
    render = lambda m: _number(m, style, unit)  # noqa: E731
    q = _pick(rng, ["How many separate speech segments are there?", "How many times does someone speak, with pauses in between?",
                    "How many separate utterances can you hear?", "How many phrases are spoken, one after another?"])
    return Question(audio, q, _number_choices(n, 1, 6, rng, render), render(n), "speech", "speech segment counting",
                    "vad", "choice", signal)


def family_order(rng) -> Question:
    speech_first, timbre = rng.random() < 0.5, _timbre(rng)
    speech = _say(rng, _pick(rng, PHRASES))
    beep = tone(rng.uniform(400, 1200), rng.uniform(0.5, 1.0), rng, timbre)
    pair = [speech, beep] if speech_first else [beep, speech]
    audio = np.concatenate([silence(0.3), pair[0], silence(rng.uniform(0.4, 0.8)), pair[1], silence(0.3)])
    if _yes_no_form(rng):
        asked_speech = rng.random() < 0.5
        q = _pick(rng, ["Does the speech come before the tone?", "Is the voice heard first?", "Does the clip start with speech?"]
                  if asked_speech else
                  ["Does the tone come before the speech?", "Is the beep heard first?", "Does the clip start with a tone?"])
        return Question(audio, q, ["yes", "no"], "yes" if asked_speech == speech_first else "no", "speech", "event order",
                        "vad", "yesno", timbre)
    pair = _pick(rng, [("speech", "tone"), ("the speech", "the tone"), ("someone talking", "a beep"), ("a voice", "a tone")])
    q = _pick(rng, ["What comes first, the speech or the tone?", "Which is heard first?", "What does the clip start with?",
                    "Which sound opens the recording?"])
    return Question(audio, q, list(pair), pair[0] if speech_first else pair[1], "speech", "event order", "vad", "choice", timbre)


# ---------------------------------------------------------------- four families v1 lacks

def family_longer(rng) -> Question:
    short, ratio = rng.uniform(0.3, 1.2), rng.uniform(1.6, 2.5)
    second_longer = rng.random() < 0.5
    kind = _pick(rng, ["tone", "noise"])

    def sound(seconds):
        if kind == "tone":
            return tone(rng.uniform(300, 1200), seconds, rng, _timbre(rng))
        return sig.fade(sig.noise(int(seconds * sig.SR), _pick(rng, list(sig.NOISE_COLOURS)), rng) / 3)

    lengths = (short, short * ratio) if second_longer else (short * ratio, short)
    audio = np.concatenate([silence(0.3), sound(lengths[0]), silence(rng.uniform(0.4, 0.8)), sound(lengths[1]), silence(0.3)])
    if _yes_no_form(rng):
        asked_second = rng.random() < 0.5
        q = _pick(rng, ["Is the second sound longer than the first?", "Does the second sound last longer?"] if asked_second
                  else ["Is the first sound longer than the second?", "Does the first sound last longer?"])
        return Question(audio, q, ["yes", "no"], "yes" if asked_second == second_longer else "no", "sound",
                        "duration comparison", "events", "yesno", kind)
    pair = _pick(rng, [("the first", "the second"), ("first", "second"), ("the first sound", "the second sound")])
    q = _pick(rng, ["Which is longer, the first or the second sound?", "Which of the two sounds lasts longer?",
                    "Which sound is held for more time?"])
    return Question(audio, q, list(pair), pair[1] if second_longer else pair[0], "sound", "duration comparison",
                    "events", "choice", kind)


def family_speakers(rng) -> Question:
    n = 1 if rng.random() < 0.5 else 2
    registers = ["male", "female"]
    if n == 2 and rng.random() < 0.5:
        voices = [_voice(rng, "male"), _voice(rng, "female")]
    else:
        voices = [_voice(rng, _pick(rng, registers))]
        while len(voices) < n:
            other = _voice(rng)
            voices += [other] if other != voices[0] else []
    turns = int(rng.integers(max(2, n), 5))
    order = [voices[k % n] for k in range(turns)]
    parts = [silence(0.3)]
    for voice in order:
        parts += [_say(rng, _pick(rng, PHRASES), voice), silence(rng.uniform(0.6, 1.2))]
    audio = np.concatenate(parts)
    if _yes_no_form(rng):
        asked_two = rng.random() < 0.5
        q = _pick(rng, ["Are there two different speakers?", "Do two people take turns speaking?"] if asked_two
                  else ["Is there only one speaker?", "Is the same person speaking throughout?"])
        return Question(audio, q, ["yes", "no"], "yes" if asked_two == (n == 2) else "no", "speech", "speaker counting",
                        "speakers", "yesno", "speech")
    style = _pick(rng, ["digits", "words"])
    unit = _pick(rng, ["", " speakers", " people"])
    render = lambda m: _number(m, style, unit)  # noqa: E731
    q = _pick(rng, ["How many different speakers are there?", "How many people speak in this clip?",
                    "How many distinct voices can you hear?"])
    return Question(audio, q, [render(m) for m in (1, 2, 3)], render(n), "speech", "speaker counting", "speakers",
                    "choice", "speech")


def family_tempo_change(rng) -> Question:
    change = _pick(rng, ["faster", "steady", "slower"])
    start = float(rng.uniform(80, 140))
    end = {"faster": start * rng.uniform(1.35, 1.6), "steady": start, "slower": start / rng.uniform(1.35, 1.6)}[change]
    kind = _pick(rng, list(sig.BEAT_KINDS))
    audio = sig.beat_track(start, rng.uniform(6.0, 10.0), rng, kind, end_bpm=end)
    if _yes_no_form(rng):
        asked = _pick(rng, ["faster", "steady", "slower"])
        q = _pick(rng, {"faster": ["Does the beat speed up?", "Does the tempo get faster?"],
                        "steady": ["Does the tempo stay steady?", "Is the beat kept at a constant speed?"],
                        "slower": ["Does the beat slow down?", "Does the tempo get slower?"]}[asked])
        return Question(audio, q, ["yes", "no"], "yes" if asked == change else "no", "music", "tempo change", "tempo",
                        "yesno", kind)
    words = _pick(rng, [{"faster": "speeds up", "steady": "stays steady", "slower": "slows down"},
                        {"faster": "gets faster", "steady": "stays the same", "slower": "gets slower"},
                        {"faster": "accelerates", "steady": "keeps a constant tempo", "slower": "decelerates"}])
    q = _pick(rng, ["How does the tempo change over the clip?", "What does the beat do over time?",
                    "Does the beat speed up, slow down or stay steady?"])
    return Question(audio, q, list(words.values()), words[change], "music", "tempo change", "tempo", "choice", kind)


def family_gap(rng) -> Question:
    has_gap, seconds = rng.random() < 0.5, rng.uniform(2.0, 8.0)
    kind = _pick(rng, ["tone", "noise", "music"])
    body = {"tone": lambda: tone(rng.uniform(200, 1000), seconds, rng, _timbre(rng)),
            "noise": lambda: sig.noise(int(seconds * sig.SR), _pick(rng, list(sig.NOISE_COLOURS)), rng) / 4,
            "music": lambda: sig.music_bed(seconds, rng)}[kind]().astype(np.float32)
    if has_gap:
        width, centre = rng.uniform(0.3, 1.5), rng.uniform(0.35, 0.65) * seconds
        a, b = int((centre - width / 2) * sig.SR), int((centre + width / 2) * sig.SR)
        body = np.concatenate([sig.fade(body[:a]), silence((b - a) / sig.SR), sig.fade(body[b:])])
    if _yes_no_form(rng) or rng.random() < 0.5:
        q = _pick(rng, ["Is there a silent gap in the middle?", "Does the sound stop briefly in the middle?",
                        "Is the sound interrupted by silence?", "Is there a pause in the sound?"])
        return Question(body, q, ["yes", "no"], "yes" if has_gap else "no", "sound", "silent gap", "loudness", "yesno", kind)
    pair = _pick(rng, [("interrupted by a gap", "continuous"), ("there is a pause", "it never stops"),
                       ("it stops in the middle", "it plays without a break")])
    q = _pick(rng, ["Does the sound play without a break?", "How does the sound run from start to end?",
                    "Is the sound continuous or interrupted?"])
    return Question(body, q, list(pair), pair[0] if has_gap else pair[1], "sound", "silent gap", "loudness", "choice", kind)


FAMILIES: dict[str, Callable[[np.random.Generator], Question]] = {
    "count": family_count, "pitch_compare": family_pitch_compare, "note": family_note, "tempo": family_tempo,
    "duration": family_duration, "loudness": family_loudness, "phrase": family_phrase, "gender": family_gender,
    "speech_count": family_speech_count, "order": family_order, "longer": family_longer, "speakers": family_speakers,
    "tempo_change": family_tempo_change, "gap": family_gap,
}


def background(audio: np.ndarray, rng) -> tuple[np.ndarray, float, str]:
    """Noise of a random colour at 5-30 dB SNR, and a reverberant room one time in five."""
    snr, colour = float(rng.uniform(5, 30)), _pick(rng, list(sig.NOISE_COLOURS))
    if rng.random() < 0.2:
        audio, colour = sig.reverberate(audio, rng, rng.uniform(0.2, 0.6)), colour + " + room"
    return sig.add_noise(audio, snr, rng, colour.split(" ")[0]), snr, colour
