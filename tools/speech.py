"""Speech tools: speech segments (silero-vad), free ASR and choice-phrase spotting (pocketsphinx)."""
from __future__ import annotations

import functools
import re

import numpy as np

from tools.base import Audio, BaseTool
from tools.signal import HOP_SECONDS, active_segments, frame_db, segments_from_mask, spectral_peak_db


@functools.lru_cache(maxsize=1)
def _silero():
    from silero_vad import load_silero_vad

    return load_silero_vad()


def speech_segments(audio: Audio, min_silence_ms: int = 400) -> list[tuple[float, float]]:
    """Speech regions in seconds. Pauses shorter than min_silence_ms stay inside one segment."""
    import torch
    from silero_vad import get_speech_timestamps

    stamps = get_speech_timestamps(torch.from_numpy(audio.samples), _silero(), sampling_rate=audio.sample_rate,
                                   min_silence_duration_ms=min_silence_ms, return_seconds=True)
    return split_by_level(audio, [(float(s["start"]), float(s["end"])) for s in stamps], min_silence_ms / 1000)


def split_by_level(audio: Audio, segments: list[tuple[float, float]], min_gap: float,
                   depth: float = 8.0) -> list[tuple[float, float]]:
    """Each speech segment cut where its level drops `depth` dB below the segment's loud level (90th
    percentile, 50 ms smoothing) for `min_gap` s or more. Silero hears babble behind a speaker as
    speech too, so one talker's pauses vanish into one long segment; the foreground voice is
    louder, and its pauses still show in the level. Clean speech pauses are silent: already cut."""
    from scipy.ndimage import uniform_filter1d

    smooth = uniform_filter1d(frame_db(audio.samples, audio.sample_rate), 5, mode="nearest")
    out = []
    for start, end in segments:
        a, b = int(start / HOP_SECONDS), max(int(start / HOP_SECONDS) + 1, int(end / HOP_SECONDS))
        level = smooth[a:b]
        loud = level >= np.percentile(level, 90) - depth
        out += [(round(start + s, 3), round(start + e, 3))
                for s, e in segments_from_mask(loud, HOP_SECONDS, min_gap=min_gap, min_len=0.15)]
    return out


def _is_tonal(audio: Audio, span: tuple[float, float]) -> bool:
    """Low spectral flatness: energy in a few harmonics (a tone), not spread (noise)."""
    import librosa

    a, b = int(span[0] * audio.sample_rate), int(span[1] * audio.sample_rate)
    flatness = librosa.feature.spectral_flatness(y=audio.samples[a:b] + 1e-6, n_fft=512)
    return float(np.median(flatness)) < 0.05


class SpeechSegmentsTool(BaseTool):
    name = "vad"
    description = "Finds the speech segments (silero-vad), counts them and says whether speech or another sound comes first."
    cost = 0.3
    version = "2"  # segments split where a voice over babble pauses

    def analyze(self, audio: Audio, question, choices):
        speech = speech_segments(audio, int(self.params.get("min_silence_ms", 400)))
        sounds = active_segments(spectral_peak_db(audio.samples, audio.sample_rate), min_gap=0.2)
        # a sound is "other" when it does not overlap any speech segment
        other = [s for s in sounds if not any(s[0] < e and s[1] > b for b, e in speech)]
        data = {"speech_segments": [list(s) for s in speech], "other_sounds": [list(s) for s in other]}
        if not speech:
            return data, "There is no speech in the clip."
        text = f"Number of separate speech segments: {len(speech)}."
        if other:
            kind = "tone" if _is_tonal(audio, other[0]) else "non-speech sound"
            data["other_first_kind"] = kind
            first = kind if other[0][0] < speech[0][0] else "speech"
            text += f" Heard first: the {first}."
        return data, text


@functools.lru_cache(maxsize=1)
def _pocketsphinx_dict() -> dict[str, str]:
    import os

    from pocketsphinx import get_model_path

    words = {}
    with open(os.path.join(get_model_path(), "en-us", "cmudict-en-us.dict")) as f:
        for line in f:
            word = line.split(" ", 1)[0]
            words.setdefault(word, line)
    return words


def _decode(audio: Audio, jsgf: str | None = None) -> str:
    from pocketsphinx import Decoder

    pcm = (np.clip(audio.samples, -1, 1) * 32767).astype(np.int16).tobytes()
    decoder = Decoder(samprate=audio.sample_rate, loglevel="FATAL")
    if jsgf is not None:
        decoder.add_jsgf_string("choices", jsgf)
        decoder.activate_search("choices")
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


class ASRTool(BaseTool):
    name = "asr"
    description = "Free speech recognition (pocketsphinx, weak on synthetic speech)."
    cost = 1.0

    def analyze(self, audio: Audio, question, choices):
        text = _decode(audio)
        if not text:
            return {"transcript": ""}, "Speech recognition heard no words."
        return {"transcript": text}, f'Speech recognition transcript (may contain errors): "{text}".'


def _normalize(phrase: str) -> list[str]:
    return re.findall(r"[a-z']+", phrase.lower())


class PhraseSpotTool(BaseTool):
    """Which of the choices is spoken: pocketsphinx constrained to a JSGF grammar of the choices.

    The grammar makes recognition exact where free ASR is weak, but it always picks some
    choice, so the tool first checks with silero-vad that there is speech at all.
    """

    name = "phrase_spot"
    description = "Finds which of the answer choices is spoken, using a speech grammar built from the choices."
    cost = 1.0
    uses_choices = True

    def applicable(self, question: str, choices) -> bool:
        """Only when some choice is made of words the recognizer's dictionary knows."""
        vocab = _pocketsphinx_dict()
        return any(_normalize(c) and all(w in vocab for w in _normalize(c)) for c in choices)

    def analyze(self, audio: Audio, question, choices):
        vocab = _pocketsphinx_dict()
        usable = {}
        for choice in choices:
            words = _normalize(choice)
            if words and all(w in vocab for w in words):
                usable[" ".join(words)] = choice
        if not usable:
            return {"matched": None, "reason": "no choice is made of dictionary words"}, ""
        if not speech_segments(audio):
            return {"matched": None, "reason": "no speech"}, "No speech was found, so no phrase was spotted."
        grammar = "#JSGF V1.0;\ngrammar choices;\npublic <choice> = " + " | ".join(usable) + ";\n"
        heard = " ".join(_normalize(_decode(audio, grammar)))
        matched = usable.get(heard)
        if matched is None:
            return {"matched": None, "heard": heard}, "No choice phrase was recognised in the speech."
        return {"matched": matched, "heard": heard}, f'The speaker says "{matched}".'
