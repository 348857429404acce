"""Speech tools: speech segments (silero-vad), free ASR and choice-phrase spotting (pocketsphinx)."""
from __future__ import annotations

import functools
import os
import threading

import numpy as np

from tools import mentions
from tools.base import Audio, BaseTool
from tools.signal import (BASS_HZ, HOP_SECONDS, active_segments, frame_db, load_librosa, segments_from_mask,
                          spectral_peak_db)


@functools.lru_cache(maxsize=1)
def _silero():
    from silero_vad import load_silero_vad

    return load_silero_vad()


# id(samples) -> (samples, min silence, segments): the executor hands every tool of a clip the same
# decoded samples, and four tools (vad, voice, speakers, asr) ask for its segments in a row. Keyed by
# the array itself, not the file hash: a clip built in memory has no hash of its own. Holding the
# array keeps its id from being reused.
_SILERO_SEGMENTS: dict[int, tuple[np.ndarray, int, list[tuple[float, float]]]] = {}
_SILERO_LOCK = threading.Lock()  # a tool past its timeout may still be running in its own thread


def silero_segments(audio: Audio, min_silence_ms: int = 400) -> list[tuple[float, float]]:
    """What silero-vad hears as speech, in seconds: babble behind a speaker included. Memoized for
    the last few clips (see above)."""
    import torch
    from silero_vad import get_speech_timestamps

    with _SILERO_LOCK:
        memo = _SILERO_SEGMENTS.get(id(audio.samples))
    if memo is None or memo[0] is not audio.samples or memo[1] != int(min_silence_ms):
        stamps = get_speech_timestamps(torch.from_numpy(audio.samples), _silero(), sampling_rate=audio.sample_rate,
                                       min_silence_duration_ms=min_silence_ms, return_seconds=True)
        memo = (audio.samples, int(min_silence_ms), [(float(s["start"]), float(s["end"])) for s in stamps])
        with _SILERO_LOCK:
            while len(_SILERO_SEGMENTS) >= 4:
                _SILERO_SEGMENTS.pop(next(iter(_SILERO_SEGMENTS)))
            _SILERO_SEGMENTS[id(audio.samples)] = memo
    return list(memo[2])


def speech_segments(audio: Audio, min_silence_ms: int = 400) -> list[tuple[float, float]]:
    """Speech regions in seconds. Pauses shorter than min_silence_ms stay inside one segment."""
    return split_by_level(audio, silero_segments(audio, min_silence_ms), min_silence_ms / 1000)


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


def background_speech(audio: Audio, voice: list[tuple[float, float]]) -> float:
    """silero's mean speech probability away from the voice's segments (0.15 s margin); 0 when
    under 0.1 s is left. Babble behind a speaker is speech there, a noise floor is not."""
    import torch

    model = _silero()
    model.reset_states()
    probs = model.audio_forward(torch.from_numpy(audio.samples), audio.sample_rate).numpy().ravel()
    t = (np.arange(len(probs)) + 0.5) * 512 / audio.sample_rate  # silero scores 512-sample chunks at 16 kHz
    away = np.ones(len(t), dtype=bool)
    for s, e in voice:
        away &= (t < s - 0.15) | (t > e + 0.15)
    return float(probs[away].mean()) if away.sum() * 512 / audio.sample_rate >= 0.1 else 0.0


def _is_tonal(audio: Audio, span: tuple[float, float]) -> bool:
    """Low spectral flatness: energy in a few harmonics (a tone), not spread (noise)."""
    librosa = load_librosa()
    a, b = int(span[0] * audio.sample_rate), int(span[1] * audio.sample_rate)
    flatness = librosa.feature.spectral_flatness(y=audio.samples[a:b] + 1e-6, n_fft=512)
    return float(np.median(flatness)) < 0.05


class SpeechSegmentsTool(BaseTool):
    name = "vad"
    description = "Finds the speech segments (silero-vad), counts them and says whether speech or another sound comes first."
    examples = (
        "How many times does someone speak in this clip?", "Does the speech come before or after the tone?",
        "How many separate utterances are there?", "What comes first, the talking or the noise?",
        "Count the speech segments.", "Is there speech at the start of the recording?",
        "Does the voice start before the beep?", "When does the speaking begin?",
        "how many times does the person talk", "Is the speech interrupted by pauses into several parts?",
        "Find the parts of the clip where someone is speaking.", "Does the noise come before anyone says anything?",
        "Is there one continuous utterance or multiple?", "Tell me whether speech or the tone is heard first.",
        "How many distinct stretches of talking can you detect?",
        "Does the clip open with someone talking?", "Is the drum the last thing you hear?",
        "What sound ends the recording?", "Does the recording begin with the voice or the bell?",
        "Does someone talk more than four separate times in all?", "Are there fewer than five separate bits of speech?",
        "On how many separate occasions does someone talk?", "Would you count three separate sentences in this recording?",
        "Is the bell what wraps up the recording?",
        "Does the clip kick off with the rattle or with a voice?", "Does the narrator come in only after the drum stops?",
    )
    cost = 0.3
    version = "15"  # 15: choices "correct" / "incorrect" (any verdicts) name no sound; 14 (12, 13: trials): more words that ask about order, and choices that say one, name the sounds (mentions.sound_names); 11 (8-10 trials): the sounds named as the question names them (7: other sounds above 60 Hz)
    uses_choices = True  # the question's names for the sounds key the cache

    features = ("speech", "speech_segments", "other_sounds", "speech_first")

    def feature_vector(self, data):
        """Speech found (1/0), the speech segments and other sounds (/5), and which came first:
        +1 speech, -1 another sound, 0 not both."""
        first = data.get("heard_first")
        return [float(bool(data["speech_segments"])), min(len(data["speech_segments"]), 10) / 5,
                min(len(data["other_sounds"]), 10) / 5, 0.0 if first is None else 1.0 if first == "speech" else -1.0]

    def analyze(self, audio: Audio, question, choices):
        speech = speech_segments(audio, int(self.params.get("min_silence_ms", 400)))
        # above the bass (as the event counter reads): brown noise's wobbling low bins passed for a sound
        # at the clip's start and raised the floor a tone had to clear
        sounds = active_segments(spectral_peak_db(audio.samples, audio.sample_rate, min_hz=BASS_HZ), min_gap=0.2)
        # a sound is "other" when it does not overlap any speech segment
        other = [s for s in sounds if not any(s[0] < e and s[1] > b for b, e in speech)]
        data = {"speech_segments": [list(s) for s in speech], "other_sounds": [list(s) for s in other]}
        if not speech:
            return data, "There is no speech in the clip."
        if other:
            kind = "tone" if _is_tonal(audio, other[0]) else "other sound"  # not "non-speech": it holds the other name
            data["other_first_kind"] = kind
            data["heard_first"] = kind if other[0][0] < speech[0][0] else "speech"
            # the order in the question's names for the sounds, where it has them: the reasoner
            # matches words, and "the tone" is not "the whistle" to it (mentions.sound_names)
            data["names"] = mentions.sound_names(question, choices)._asdict()
        return data, self.text_for(data, len(speech))

    @staticmethod
    def describe(n: int, first: str | None = None, other: str = "other sound", speech: str = "speech") -> str:
        """The count; with `first` (the `speech` or the `other` sound, by those names), the order
        said as a comparison too, as a question about it is asked (see EventsTool.describe)."""
        text = f"Number of separate speech segments: {n}."
        if first:
            later = other if first == speech else speech
            text += f" Heard first: the {first}. The {first} comes before the {later}."
        return text

    @classmethod
    def text_for(cls, data: dict, n: int, speech_first: bool | None = None) -> str:
        """`describe` for `n` segments, the sounds by `data`'s names, the order measured or `speech_first`."""
        if not data.get("heard_first"):
            return cls.describe(n)
        names = data.get("names") or {}  # none: the tool's own names
        speech, other = names.get("speech") or "speech", names.get("other") or data.get("other_first_kind", "other sound")
        if speech_first is None:
            speech_first = data["heard_first"] == "speech"
        return cls.describe(n, speech if speech_first else other, other, speech)

    def contrast_texts(self, data):
        """Counts one and two off; the other sound heard first."""
        n, first = len(data.get("speech_segments", [])), data.get("heard_first")
        if not n:
            return []
        texts = [self.text_for(data, m) for m in (n - 2, n - 1, n + 1, n + 2) if m >= 1]
        if first:
            texts.append(self.text_for(data, n, speech_first=first != "speech"))
        return texts

    def question_contrasts(self, data, question, choices):
        """The segment counts the question or choices name."""
        if not data.get("speech_segments"):
            return []
        return [self.text_for(data, m) for m in mentions.counts(question, choices, most=20)]


@functools.lru_cache(maxsize=1)
def _pocketsphinx_dict() -> dict[str, str]:
    from pocketsphinx import get_model_path

    words = {}
    with open(os.path.join(get_model_path(), "en-us", "cmudict-en-us.dict")) as f:
        for line in f:
            word = line.split(" ", 1)[0]
            words.setdefault(word, line)
    return words


def _decode(audio: Audio, jsgf: str | None = None) -> str:
    return _decode_scored(audio, jsgf)[0]


def _decode_scored(audio: Audio, jsgf: str | None = None, phone_loop: bool = False) -> tuple[str, float | None]:
    """(hypothesis, score as pocketsphinx's Python API reports it; None when nothing decoded): free
    ASR, a JSGF grammar, or a free phone loop (en-us-phone.lm.bin, pocketsphinx's allphone search)."""
    from pocketsphinx import Decoder, get_model_path

    pcm = (np.clip(audio.samples, -1, 1) * 32767).astype(np.int16).tobytes()
    extra = {"allphone": os.path.join(get_model_path(), "en-us", "en-us-phone.lm.bin")} if phone_loop else {}
    decoder = Decoder(samprate=audio.sample_rate, loglevel="FATAL", **extra)
    if jsgf is not None:
        decoder.add_jsgf_string("choices", jsgf)
        decoder.activate_search("choices")
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return (hyp.hypstr, float(hyp.score)) if hyp is not None else ("", None)


def speech_spans(audio: Audio, pad: float = 0.25) -> list[Audio]:
    """The clip's speech (silero-vad's segments, `pad` s either side, overlaps merged) as clips."""
    spans: list[list[float]] = []
    for start, end in silero_segments(audio):
        start, end = max(0.0, start - pad), min(audio.duration, end + pad)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    rate = audio.sample_rate
    return [Audio(audio.samples[int(a * rate): int(b * rate)], rate, audio.path, f"{audio.sha256}@{a:.3f}-{b:.3f}")
            for a, b in spans]


class ASRTool(BaseTool):
    """Free ASR over the clip's speech only. Decoding the whole clip cost ~2 s per probe clip, 89%
    of all tools' time (docs/BENCHMARKS.md "Cold path"), and on clips without speech it made up
    words from tones and noise ("mm", "do you"): now silero-vad's segments are decoded, and a clip
    without any says it heard no words."""

    name = "asr"
    description = "Free speech recognition (pocketsphinx, weak on synthetic speech)."
    examples = (
        "What does the speaker say?", "Transcribe this audio.", "Write down the words spoken in the clip.",
        "What is being said here?", "Give me a transcript of the recording.", "what are they saying",
        "Can you tell me exactly what the person said?", "Convert the speech to text.",
        "What's the first word the speaker says?", "Type out everything you hear spoken.",
        "What number does the speaker mention?", "Which city is named in the recording?",
        "What's the message in this voice note?", "Please provide the spoken content word for word.",
        "What question does the speaker ask?"
    )
    cost = 1.0
    version = "2"  # speech segments only

    features = ("words",)

    def feature_vector(self, data):
        return [min(len(data["transcript"].split()), 20) / 10]

    def analyze(self, audio: Audio, question, choices):
        text = " ".join(t for t in (_decode(span) for span in speech_spans(audio)) if t)
        if not text:
            return {"transcript": ""}, "Speech recognition heard no words."
        return {"transcript": text}, f'Speech recognition transcript (may contain errors): "{text}".'


class PhraseSpotTool(BaseTool):
    """Which of the choices is spoken: pocketsphinx constrained to a JSGF grammar of the choices.

    The grammar makes recognition exact where free ASR is weak, but it always picks some
    choice, so the tool first checks with silero-vad that there is speech at all.

    A yes/no question that quotes a phrase ("Does the speaker say 'open the door'?") is checked
    by forcing the phrase onto the speech and comparing its score with a free phone loop's: the
    forced phrase scores about as well only when it was said (measured: 96-97% on espeak speech in
    5-30 dB noise). Over babble the forced phrase also fits the other voices (73%), so with
    background speech the tool says nothing.
    """

    name = "phrase_spot"
    description = "Finds which of the answer choices (or a phrase the question quotes) is spoken, using a speech grammar."
    examples = (
        "Does the speaker say \"good morning\"?", "Is the phrase \"thank you very much\" in the recording?",
        "Which of these phrases is spoken: \"turn left\", \"turn right\", or \"go straight\"?",
        "Did they say \"yes\" or \"no\"?", "Which option matches what's said: A) open the door, B) close the door?",
        "Does the person mention \"the meeting is cancelled\"?", "Is the word spoken \"apple\" or \"orange\"?",
        "Check whether the clip contains the words \"call me later\".", "did she say \"see you tomorrow\"",
        "Which of the following numbers is spoken: seven, eleven, or seventeen?", "Which caption fits the audio?",
        "Is \"please hold\" the phrase being said?", "Pick the answer choice that matches the spoken words.",
        "Does the announcer say \"next stop\"?", "Was it \"I agree\" or \"I disagree\" that was said?",
        "Verify whether the speaker uttered \"happy birthday\".", "Which sentence is spoken in the clip?",
        "Choose the transcript that matches the speech.", "Select the line the speaker reads out.",
        "Which of these texts is what you hear said?", "Are the spoken words exactly the ones quoted?",
    )
    cost = 1.0
    version = "5"  # a true/false question read as yes/no; a choice's spoken part; a phrase after "the sentence:"
    uses_choices = True
    min_margin = 0.0  # forced phrase score minus phone loop score (API units); said: > 0 (measured 97% apart)
    max_background_speech = 0.3  # background_speech: 0.01-0.25 in noise, 0.3-0.9 (one 0.17) over babble

    features = ("spotted",)

    def feature_vector(self, data):
        """+1 a choice (or the quoted phrase) was heard, -1 speech was searched and it was not,
        0 nothing was searched (no speech, no usable phrase, babble)."""
        if "said" in data:
            return [1.0 if data["said"] else -1.0]
        if data.get("matched"):
            return [1.0]
        return [-1.0 if "heard" in data else 0.0]

    def applicable(self, question: str, choices) -> bool:
        """When the question asks what is said, and some choice (or, for yes/no, the quoted phrase)
        is made of words the recognizer's dictionary knows."""
        if not mentions.asks_what_is_said(question, choices):
            return False
        vocab = _pocketsphinx_dict()
        known = lambda text: bool(mentions.phrase_words(text)) and all(w in vocab for w in mentions.phrase_words(text))  # noqa: E731
        if mentions.answers_whether(choices):
            phrase = mentions.quoted_phrase(question)
            return phrase is not None and known(phrase)
        return any(known(mentions.spoken_part(c)) for c in choices)

    def analyze(self, audio: Audio, question, choices):
        if mentions.answers_whether(choices):  # "yes" / "no", "true" / "false": is the quoted phrase said
            return self._check_quoted(audio, question)
        vocab = _pocketsphinx_dict()
        usable = {}
        for choice in choices:  # the words a choice says are spoken: 'The speaker says: "we are late"'
            words = mentions.phrase_words(mentions.spoken_part(choice))
            if words and all(w in vocab for w in words):
                usable[" ".join(words)] = choice
        if not usable:
            return {"matched": None, "reason": "no choice is made of dictionary words"}, ""
        if not speech_segments(audio):
            return {"matched": None, "reason": "no speech"}, "No speech was found, so no phrase was spotted."
        grammar = "#JSGF V1.0;\ngrammar choices;\npublic <choice> = " + " | ".join(usable) + ";\n"
        heard = " ".join(mentions.phrase_words(_decode(audio, grammar)))
        data = {"heard": heard, "usable": list(usable.values())}
        if heard in usable:
            return {**data, "matched": usable[heard]}, self.describe(usable[heard])
        begun = self.begun_choice(heard, usable)
        if begun is None:
            return {"matched": None, "heard": heard}, "No choice phrase was recognised in the speech."
        return {**data, "matched": begun, "partial": True}, self.describe(begun, heard)

    @staticmethod
    def begun_choice(heard: str, usable: dict[str, str]) -> str | None:
        """The one choice whose first words are `heard`, or None. Where no choice fits to the end of
        the speech (its last words lost in noise or cut short), pocketsphinx returns its best path
        so far, a choice's first words: probe v2's train and validation splits, both draws, 5 of 60
        multiple-choice items, 4 of them the spoken choice (the fifth heard "turn on the" in "good
        morning everyone"); every full match was the spoken choice."""
        words = heard.split()
        begun = [key for key in usable if words and key.split()[:len(words)] == words]
        return usable[begun[0]] if len(begun) == 1 else None

    @staticmethod
    def describe(choice: str, heard: str | None = None) -> str:
        """The choice heard, last and in its own words (the reasoner copies it); with `heard`, the
        first words the recogniser heard, which begin that choice only."""
        if heard is None:
            return f'The speaker says "{choice}".'
        return f'The speaker begins "{heard}", the start of "{choice}".'

    def _check_quoted(self, audio: Audio, question: str) -> tuple[dict, str]:
        phrase = mentions.quoted_phrase(question)
        vocab = _pocketsphinx_dict()
        words = mentions.phrase_words(phrase or "")
        if not words or not all(w in vocab for w in words):
            return {"phrase": phrase, "reason": "no quoted phrase of dictionary words"}, ""
        voice = speech_segments(audio)
        if not voice:
            return {"phrase": phrase, "reason": "no speech"}, "No speech was found, so no phrase was spotted."
        background = background_speech(audio, voice)
        if background > self.max_background_speech:
            return {"phrase": phrase, "background_speech": round(background, 2), "reason": "babble"}, ""
        text = " ".join(words)
        _, forced = _decode_scored(audio, "#JSGF V1.0;\ngrammar phrase;\npublic <phrase> = " + text + ";\n")
        _, free = _decode_scored(audio, phone_loop=True)
        margin = (forced - free) if forced is not None and free is not None else None
        said = margin is not None and margin > self.min_margin
        data = {"phrase": phrase, "said": said, "margin": None if margin is None else round(margin, 4)}
        return data, self.describe_quoted(phrase, said)

    @staticmethod
    def describe_quoted(phrase: str, said: bool) -> str:
        return f'The speaker says "{phrase}".' if said else f'The speaker does not say "{phrase}".'

    def contrast_texts(self, data):
        """A quoted phrase: the other verdict; choices: the speaker saying another usable choice (a
        choice begun: beginning another with as many of its words)."""
        if "said" in data:
            return [self.describe_quoted(data["phrase"], not data["said"])]
        if not data.get("matched"):
            return []
        if data.get("partial"):  # the same first words of each other choice
            n = len(data["heard"].split())
            return [self.describe(c, " ".join(mentions.phrase_words(c)[:n])) for c in data["usable"] if c != data["matched"]]
        return [self.describe(c) for c in data.get("usable", []) if c != data["matched"]]
