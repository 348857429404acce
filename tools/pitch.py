"""Pitch (praat-parselmouth): tone pitches, note names and contour, and the voice's pitch register."""
from __future__ import annotations

import numpy as np

from tools import mentions
from tools.base import Audio, BaseTool, hz_to_note
from tools.mentions import phrase_wordings, verb_wordings
from tools.signal import active_segments, segments_from_mask, spectral_peak_db


def _pitch_track(audio: Audio, floor: float, ceiling: float, step: float = 0.01,
                 octave_cost: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    import parselmouth

    sound = parselmouth.Sound(audio.samples.astype(np.float64), sampling_frequency=audio.sample_rate)
    pitch = sound.to_pitch_ac(time_step=step, pitch_floor=floor, pitch_ceiling=ceiling, octave_cost=octave_cost)
    return pitch.xs(), pitch.selected_array["frequency"]


class PitchTool(BaseTool):
    name = "pitch"
    description = "Pitch of each tone in Hz with its musical note, and whether the pitch goes up or down."
    examples = (
        "What's the pitch of this tone in Hz?", "Which musical note is being played?",
        "Is the second tone higher or lower than the first?", "What frequency is this beep?", "Is this note an A4?",
        "Does the pitch go up from the first tone to the second?", "Name the note of each tone.",
        "How high is this sound in hertz?", "is the second beep lower", "Identify the frequency of the sine tone.",
        "Is the tone closer to 440 Hz or 880 Hz?", "What note does the second tone correspond to?",
        "Tell me whether the pitch rises or falls between the two tones.", "Is this tone a middle C?",
        "Give the fundamental frequency of each tone you hear.",
        "Which of the two beeps sounds higher?", "Is the first tone deeper than the second one?",
        "Does the second note sound shriller or bassier than the first?", "Does the melody go up or down?",
        "Is the interval between the two notes rising or falling?", "Is this note above or below C5?",
        "Which note is held in this clip?", "Is the later beep lower-pitched than the earlier one?",
        "Is the later chime squeakier than the earlier chime?", "Which whistle sounds lower, number one or number two?",
        "Does the tune end on a higher note than it starts on?", "Does the line of notes move upward or downward?",
        "Is the melody's contour rising?",
    )
    cost = 0.3
    version = "4"  # contrasts; the direction said as the pitch going up or down too
    min_seconds = 0.04  # Praat's autocorrelation needs three periods of the 75 Hz floor

    # how questions word what the line says of two tones, in the line's words ("goes up", "higher");
    # the key "the pitch goes" is in the line of two tones and its alternatives only (tools/mentions.py)
    question_words = (
        *phrase_wordings([r"pitched above"], "higher than", "the pitch goes"),
        *phrase_wordings([r"higher in (?:pitch|frequency)(?= than)", r"at a higher (?:pitch|frequency)(?= than)"],
                         "higher", "the pitch goes"),
        *phrase_wordings([r"pitched below"], "lower than", "the pitch goes"),
        *phrase_wordings([r"lower in (?:pitch|frequency)(?= than)", r"at a lower (?:pitch|frequency)(?= than)"],
                         "lower", "the pitch goes"),
        *phrase_wordings([r"higher[- ]pitched", r"(?:shrill|sharp)er", r"squeakier|tinnier"], "higher", "the pitch goes"),
        *phrase_wordings([r"lower[- ]pitched", r"deeper", r"bassier", r"flatter"], "lower", "the pitch goes"),
        *phrase_wordings([r"from (?:a )?low(?:er)?(?: (?:note|tone|pitch))? to (?:a )?high(?:er)?(?: (?:note|tone|pitch))?"],
                         "up", "the pitch goes"),
        *phrase_wordings([r"from (?:a )?high(?:er)?(?: (?:note|tone|pitch))? to (?:a )?low(?:er)?(?: (?:note|tone|pitch))?"],
                         "down", "the pitch goes"),
        *verb_wordings(["ascend|ascends|ascending|ascended", "climb|climbs|climbing|climbed(?: up)?",
                        "rise|rises|rising|rose(?! in (?:volume|loudness|level))", "step|steps|stepping|stepped up",
                        "move|moves|moving|moved up(?:ward)?", "jump|jumps|jumping|jumped up", "leap|leaps|leaping|leapt up",
                        "head|heads|heading|headed up(?:ward)?"], "go|goes|going|went up", "the pitch goes"),
        *verb_wordings(["descend|descends|descending|descended", "drop|drops|dropping|dropped(?: down)?(?! (?:off|out)\\b)",
                        "fall|falls|falling|fell(?! (?:off|away)\\b)", "step|steps|stepping|stepped down",
                        "move|moves|moving|moved down(?:ward)?", "sink|sinks|sinking|sank", "dip|dips|dipping|dipped",
                        "jump|jumps|jumping|jumped down", "head|heads|heading|headed down(?:ward)?"],
                       "go|goes|going|went down", "the pitch goes"),
    )  # choices are not reworded; "rise in volume", "drop off", "fall away" stay the loudness tool's

    features = ("tones", "direction", "log_hz")

    def feature_vector(self, data):
        """The number of tones (/4), the second against the first (+-12 semitones -> +-1) and the
        first tone's pitch (log2 of Hz/440)."""
        tones = data["tones"]
        direction = float(np.clip(data.get("second_vs_first_semitones", 0.0) / 12, -1, 1))
        return [min(len(tones), 8) / 4, direction, float(np.log2(tones[0]["hz"] / 440)) if tones else 0.0]

    def analyze(self, audio: Audio, question, choices):
        # octave cost 0.1 (Praat's default 0.01): over a music bed a tone and the bed share a period an
        # octave or two down, which wins at the default (harmonic tones over a bed: 57% -> 100% of 60)
        times, f0 = _pitch_track(audio, floor=75.0, ceiling=2000.0, octave_cost=0.1)
        step = float(times[1] - times[0]) if len(times) > 1 else 0.01
        # only where a sound stands out: under a music bed every frame has a pitch (the bed's)
        loud = active_segments(spectral_peak_db(audio.samples, audio.sample_rate), min_gap=0.03)
        if loud:
            f0 = np.where([any(s <= t < e for s, e in loud) for t in times], f0, 0.0)
        segments = segments_from_mask(f0 > 0, step, min_gap=0.03, min_len=0.08)
        offset = float(times[0]) - step / 2 if len(times) else 0.0
        tones = []
        for s, e in segments:
            sel = (times >= s + offset) & (times < e + offset) & (f0 > 0)
            if sel.any():
                hz = float(np.median(f0[sel]))
                tones.append({"start": round(s + offset, 3), "end": round(e + offset, 3), "hz": round(hz, 1),
                              "note": hz_to_note(hz)})
        data = {"tones": tones}
        if len(tones) >= 2:
            data["second_vs_first_semitones"] = round(float(12 * np.log2(tones[1]["hz"] / tones[0]["hz"])), 2)
        return data, self.describe(data)

    @staticmethod
    def describe(data: dict) -> str:
        tones = data["tones"]
        if not tones:
            return "No pitched sound was found."
        if len(tones) == 1:
            return f"One steady tone at {tones[0]['hz']:.0f} Hz: the note {tones[0]['note']}."
        listed = "; ".join(f"tone {i + 1}: {t['hz']:.0f} Hz ({t['note']})" for i, t in enumerate(tones[:4]))
        semitones = 12 * np.log2(tones[1]["hz"] / tones[0]["hz"])
        if semitones > 0.5:
            compare = "The pitch goes up: the second tone is higher."
        elif semitones < -0.5:
            compare = "The pitch goes down: the second tone is lower."
        else:
            compare = "The second tone has the same pitch."
        more = f" ({len(tones)} pitched sounds in all)" if len(tones) > 4 else ""
        return f"{listed[0].upper()}{listed[1:]}{more}. {compare}"

    def contrast_texts(self, data):
        """One tone: the notes one and two semitones away. Several: the second tone moved to the
        other side of the first, and to the same pitch."""
        tones = data["tones"]

        def moved(tone, semitones):
            hz = tone["hz"] * 2 ** (semitones / 12)
            return {**tone, "hz": round(hz, 1), "note": hz_to_note(hz)}

        if len(tones) == 1:
            return [self.describe({"tones": [moved(tones[0], k)]}) for k in (-2, -1, 1, 2)]
        if len(tones) >= 2:
            step = data["second_vs_first_semitones"]
            others = [-step, 0.0] if abs(step) > 0.5 else [4.0, -4.0]
            return [self.describe({"tones": [tones[0], moved(tones[0], k)] + tones[2:]}) for k in others]
        return []

    def question_contrasts(self, data, question, choices):
        """One tone: at the notes and frequencies the question or choices name (a note without an
        octave in the octave nearest the tone)."""
        tones = data["tones"]
        if len(tones) != 1:
            return []
        near = tones[0]["hz"]
        asked = [mentions.note_hz(pc, octave, near) for pc, octave in mentions.notes(question, choices)]
        asked += [hz for hz in mentions.frequencies(question, choices) if 20 <= hz <= 8000]
        return [self.describe({"tones": [{**tones[0], "hz": round(hz, 1), "note": hz_to_note(hz)}]}) for hz in asked]


class VoicePitchTool(BaseTool):
    name = "voice"
    description = "The speaking voice's median pitch and whether it lies in the typical male or female range."
    examples = (
        "Is the speaker a man or a woman?", "Does this sound like a male or female voice?",
        "What's the median pitch of the speaker's voice?", "Is the person talking female?",
        "How high or low is the speaker's voice in Hz?", "Is it a guy speaking?",
        "Estimate the speaker's vocal pitch.", "Would you say the voice falls in the typical male range?",
        "what gender is the speaker", "Is the narrator's voice deep or high-pitched?",
        "Tell me the average fundamental frequency of the speech.", "Is a woman doing the talking here?",
        "Classify the voice as male or female.", "Does the speaker have a low, masculine voice?",
        "Determine whether the talker's pitch is in the female range."
    )
    cost = 0.3
    version = "3"  # speech segments split where a voice over babble pauses; contrasts
    male_below_hz = 165.0  # between typical adult male (~85-155 Hz) and female (~165-255 Hz) F0

    features = ("voice", "register")

    def feature_vector(self, data):
        """A voice found (1/0) and its median pitch against the male/female boundary (+1 an
        octave above it, -1 an octave below)."""
        if "median_hz" not in data:
            return [0.0, 0.0]
        return [1.0, float(np.clip(np.log2(data["median_hz"] / self.male_below_hz), -1, 1))]

    def analyze(self, audio: Audio, question, choices):
        from tools.speech import speech_segments

        speech = speech_segments(audio)
        if not speech:  # a tone's pitch says nothing about a speaker
            return {"voiced_frames": 0}, "No voice was found."
        times, f0 = _pitch_track(audio, floor=60.0, ceiling=400.0)
        in_speech = np.zeros_like(f0, dtype=bool)
        for s, e in speech:
            in_speech |= (times >= s) & (times <= e)
        voiced = f0[(f0 > 0) & in_speech]
        if voiced.size < 10:
            return {"voiced_frames": int(voiced.size)}, "No voice was found."
        median = float(np.median(voiced))
        gender = "male" if median < self.male_below_hz else "female"
        data = {"median_hz": round(median, 1), "voiced_frames": int(voiced.size), "register": gender}
        return data, self.describe(data)

    @staticmethod
    def describe(data: dict) -> str:
        if "register" not in data:
            return "No voice was found."
        return f"The voice's median pitch is {data['median_hz']:.0f} Hz, so the speaker is likely {data['register']}."

    def contrast_texts(self, data):
        """The other register, its pitch mirrored across the boundary (120 Hz male <-> 210 Hz female)."""
        if "register" not in data:
            return []
        other = "female" if data["register"] == "male" else "male"
        return [self.describe({"median_hz": 2 * self.male_below_hz - data["median_hz"], "register": other})]
