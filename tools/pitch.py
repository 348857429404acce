"""Pitch (praat-parselmouth): tone pitches, note names and contour, and the voice's pitch register."""
from __future__ import annotations

import numpy as np

from tools.base import Audio, BaseTool, hz_to_note
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
    cost = 0.3

    version = "2"

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
        if not tones:
            return {"tones": []}, "No pitched sound was found."
        if len(tones) == 1:
            t = tones[0]
            return {"tones": tones}, f"One steady tone at {t['hz']:.0f} Hz: the note {t['note']}."
        listed = "; ".join(f"tone {i + 1}: {t['hz']:.0f} Hz ({t['note']})" for i, t in enumerate(tones[:4]))
        first, second = tones[0]["hz"], tones[1]["hz"]
        semitones = 12 * np.log2(second / first)
        if semitones > 0.5:
            compare = "The second tone is higher."
        elif semitones < -0.5:
            compare = "The second tone is lower."
        else:
            compare = "The second tone has the same pitch."
        more = f" ({len(tones)} pitched sounds in all)" if len(tones) > 4 else ""
        data = {"tones": tones, "second_vs_first_semitones": round(float(semitones), 2)}
        return data, f"{listed[0].upper()}{listed[1:]}{more}. {compare}"


class VoicePitchTool(BaseTool):
    name = "voice"
    description = "The speaking voice's median pitch and whether it lies in the typical male or female range."
    cost = 0.3
    version = "2"  # speech segments split where a voice over babble pauses
    male_below_hz = 165.0  # between typical adult male (~85-155 Hz) and female (~165-255 Hz) F0

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
        return data, f"The voice's median pitch is {median:.0f} Hz, so the speaker is likely {gender}."
