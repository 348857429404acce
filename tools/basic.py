"""Level and length: clip duration, the loudness trend and silent gaps."""
from __future__ import annotations

import numpy as np

from tools import mentions
from tools.mentions import phrase_wordings, verb_wordings
from tools.base import Audio, BaseTool
from tools.signal import HOP_SECONDS, frame_db, segments_from_mask


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


class DurationTool(BaseTool):
    name = "duration"
    description = "Length of the clip in seconds."
    examples = (
        "How long is this clip?", "What's the length of the recording in seconds?",
        "Is this audio longer than ten seconds?", "How many seconds does the file run?",
        "Tell me the total duration of the audio.", "Is the clip shorter than 5 seconds?",
        "Roughly how long does this sound last from start to finish?", "Give me the runtime of this recording.",
        "Does the audio go on for more than half a minute?", "What is the playback time of this file?",
        "how long is it", "Could you tell me the exact length of this sample, please?",
        "Measure the clip's duration.", "Is this recording under three seconds long?",
        "About how many seconds of audio are there here?",
        "Does the buzz last longer than 12 seconds?", "Does the sound go on past the 20-second mark?",
        "Is the whole track over within 8 seconds?", "For how many seconds can the siren be heard?",
        "Does the drone play for at least a minute?",
    )
    cost = 0.05
    version = "3"  # under half a second said so ("about 0 seconds" before)

    features = ("log_seconds",)

    def feature_vector(self, data):
        return [float(np.log1p(data["seconds"]) / 3)]  # 1 s: 0.23, 30 s: 1.1

    def analyze(self, audio: Audio, question, choices):
        data = {"seconds": round(audio.duration, 3)}
        return data, self.describe(data)

    @staticmethod
    def describe(data: dict) -> str:
        seconds = data["seconds"]
        if seconds < 0.5:  # rounded to whole seconds it would be "about 0 seconds"
            return f"The clip lasts {seconds:.2f} seconds, under half a second."
        return f"The clip lasts {seconds:.1f} seconds, about {_seconds(round(seconds))}."

    def contrast_texts(self, data):
        """One and two steps shorter and longer (a step: 1 s, or a tenth of a long clip)."""
        step = max(1.0, round(data["seconds"] / 10))
        return [self.describe({"seconds": data["seconds"] + k * step}) for k in (-2, -1, 1, 2)
                if data["seconds"] + k * step >= 0.5]

    def question_contrasts(self, data, question, choices):
        """The lengths the question or choices name."""
        return [self.describe({"seconds": x}) for x in mentions.numbers(question, choices) if 0.5 <= x <= 3600]


def _audible(samples: np.ndarray, sr: int) -> np.ndarray:
    """Above 20 Hz, what can be heard: brown noise's level wanders by 20 dB with its sub-bass
    (0.2-20 Hz), which read as gaps in a steady rumble (gap benchmark: 88% without this, 96% with)."""
    from scipy.signal import butter, sosfiltfilt

    return sosfiltfilt(butter(2, 20.0, btype="highpass", fs=sr, output="sos"), samples).astype(np.float32)


def silent_gaps(db: np.ndarray, hop: float = HOP_SECONDS, depth: float = 8.0,
                min_len: float = 0.25) -> list[tuple[float, float]]:
    """Stretches of at least `min_len` s, with sound on both sides, more than `depth` dB below the
    sound's level (the 95th percentile of the 50 ms-smoothed frame level): a silence or a near
    silence over a noise floor 10 dB or more below the sound. Silence before the first sound or
    after the last is not a gap."""
    from scipy.ndimage import uniform_filter1d

    smooth = uniform_filter1d(db, 5, mode="nearest")  # not zero-padded: 0 dB at the ends would be loud
    quiet = smooth < np.percentile(smooth, 95) - depth
    loud = np.flatnonzero(~quiet)
    if loud.size == 0:
        return []
    inside = np.zeros_like(quiet)
    inside[loud[0]: loud[-1] + 1] = True
    return segments_from_mask(quiet & inside, hop, min_gap=0.0, min_len=min_len)


# words after "continuous" that are not the sound it describes ("continuous from start to end")
_NOT_A_NOUN = "(?:from|through|throughout|all|the|for|or|and|until|till|across|over|in|at|to|with|during)"
_LOUDER = "(?:louder|stronger|more intense)"
_QUIETER = "(?:quieter|softer|fainter|weaker)"
_IN_LEVEL = "(?: in (?:volume|loudness|level))?"  # "ramping up in loudness": the line's words say it all
_SILENCES = "(?:breaks?|pauses?|gaps?|silences?|dropouts?|drop-outs?|interruptions?|moments? of silence)"


class LoudnessTool(BaseTool):
    name = "loudness"
    description = ("Loudness over time: level at start and end, whether it rises or falls, and any silent gap "
                   "inside the sound.")
    examples = (
        "Does the sound get louder or quieter over time?", "Is there a fade-out at the end?",
        "Does the volume stay constant throughout?", "Is there a silent gap in the middle of the sound?",
        "Where does the pause in the sound occur?", "Is the start louder than the ending?",
        "Does this clip fade in?", "How loud is it at the beginning compared to the end?",
        "Is there a moment of silence somewhere inside the tone?", "Describe how the level changes across the clip.",
        "does it get softer toward the end", "Is the volume increasing, decreasing, or steady?",
        "Tell me whether the signal's amplitude rises or falls.", "At what point does the sound drop out briefly?",
        "Would you say the loudness is even from start to finish?",
        "Does the bell gradually die away?", "Is the volume turned up over the course of the clip?",
        "Does the sound stop for a moment and then carry on?", "Does the siren play without any break?",
        "Which word describes the dynamics, crescendo or diminuendo?",
    )
    cost = 0.1
    version = "4"  # contrasts; gaps said by where they are
    min_seconds = 0.04  # two 30 ms frames 10 ms apart (frame_db): a level over time, a line through it
    # how questions word what the line says, in the line's words: a rising or falling level, a
    # silent gap, none (tools/mentions.py Wording; longer phrases first)
    question_words = (
        *phrase_wordings([r"a fade[- ]in", r"a crescendo", r"a build[- ]up", r"a swell"], "a rise in level", "rises"),
        *phrase_wordings([r"a fade[- ]out", r"a fade", r"a decrescendo", r"a diminuendo", r"a decay"],
                         "a fall in level", "falls"),
        *verb_wordings([f"get|gets|getting|got {_LOUDER}(?: and {_LOUDER})+",
                        "start|starts|starting|started (?:out )?(?:quiet|soft|faint|low)(?:ly)? and (?:end|ends|ending|ended)"
                        " (?:up )?(?:loud|strong)(?:ly)?",
                        f"fade|fades|fading|faded (?:in|up)(?: from (?:quiet|silence|nothing))?{_IN_LEVEL}",
                        f"swell|swells|swelling|swelled(?: up)?{_IN_LEVEL}", f"build|builds|building|built up{_IN_LEVEL}",
                        f"ramp|ramps|ramping|ramped up{_IN_LEVEL}", "crescendo|crescendos|crescendoing|crescendoed",
                        "grow|grows|growing|grew (?:louder|stronger|more intense|in volume|in loudness)",
                        "become|becomes|becoming|became (?:louder|stronger|more intense)",
                        "rise|rises|rising|rose in (?:volume|loudness|level)",
                        "increase|increases|increasing|increased in (?:volume|loudness|level)",
                        "gain|gains|gaining|gained (?:volume|loudness)",
                        "get|gets|getting|got (?:stronger|more intense|loud)(?!er)",
                        f"intensify|intensifies|intensifying|intensified{_IN_LEVEL}",
                        "louden|loudens|loudening|loudened"], "get|gets|getting|got louder", "louder"),
        *verb_wordings([f"get|gets|getting|got {_QUIETER}(?: and {_QUIETER})+",
                        "start|starts|starting|started (?:out )?(?:loud|strong)(?:ly)? and (?:end|ends|ending|ended)"
                        " (?:up )?(?:quiet|soft|faint)(?:ly)?",
                        f"fade|fades|fading|faded (?:out|away|down|off){_IN_LEVEL}",
                        f"die|dies|dying|died (?:away|down|out|off){_IN_LEVEL}",
                        f"trail|trails|trailing|trailed (?:off|away){_IN_LEVEL}",
                        f"taper|tapers|tapering|tapered off{_IN_LEVEL}", f"tail|tails|tailing|tailed (?:off|away){_IN_LEVEL}",
                        "peter|peters|petering|petered out", f"drop|drops|dropping|dropped off{_IN_LEVEL}",
                        "drop|drops|dropping|dropped in (?:volume|loudness|level)",
                        f"fall|falls|falling|fell (?:off|away){_IN_LEVEL}", "fall|falls|falling|fell in (?:volume|loudness|level)",
                        "decrease|decreases|decreasing|decreased in (?:volume|loudness|level)",
                        "lose|loses|losing|lost (?:volume|loudness)",
                        "grow|grows|growing|grew (?:quieter|softer|fainter|weaker)",
                        "become|becomes|becoming|became (?:quieter|softer|fainter|weaker)",
                        "get|gets|getting|got (?:softer|fainter|weaker)", "quiet|quiets|quieting|quieted down",
                        f"decay|decays|decaying|decayed{_IN_LEVEL}", f"soften|softens|softening|softened{_IN_LEVEL}",
                        f"diminish|diminishes|diminishing|diminished{_IN_LEVEL}", "recede|recedes|receding|receded",
                        f"fade|fades|fading|faded{_IN_LEVEL}"], "get|gets|getting|got quieter", "quieter"),
        *phrase_wordings([r"(?:continuous|uninterrupted|unbroken|non-?stop)ly",
                          rf"without (?:stopping|pausing|(?:a |any )?{_SILENCES})", rf"with no {_SILENCES}"],
                         "without a break", "without a break"),
        *phrase_wordings([rf"(?:continuous|uninterrupted|unbroken|non-?stop)\s+(?!{_NOT_A_NOUN}\b)([a-z]+)"],
                         r"\1 without a break", "without a break"),
        *phrase_wordings([r"continuous|uninterrupted|unbroken|non-?stop"], "without a break", "without a break"),
        *phrase_wordings([rf"(?<!un)interrupted(?: by (?:a |any )?{_SILENCES})?"], "broken by a silent gap", "silent gap"),
        *phrase_wordings([rf"(?<!without )(?<!no )(?:a|an|any|some) (?:(?:short|brief|quick|small|momentary|little|sudden) )?"
                          rf"{_SILENCES}"], "a silent gap", "silent gap"),
        *verb_wordings(["stay|stays|staying|stayed (?:constant|even|level|flat|the same|unchanged|consistent|stable)",
                        "remain|remains|remaining|remained (?:constant|even|level|flat|the same|unchanged|consistent|stable)"],
                       "stay|stays|staying|stayed steady", "steady"),
        *verb_wordings(["cut|cuts|cutting|cut out", "drop|drops|dropping|dropped out", "break|breaks|breaking|broke off",
                        "go|goes|going|went silent"], "stop|stops|stopping|stopped", "stops"),
    )  # not words other lines use: "go up" is the pitch tool's, "pauses" the speech segmenter's

    features = ("trend", "gap")

    def feature_vector(self, data):
        """The level's change start to end (+-20 dB -> +-1) and whether a silent gap was found."""
        return [float(np.clip((data["end_db"] - data["start_db"]) / 20, -1, 1)), float(bool(data["gaps"]))]

    def analyze(self, audio: Audio, question, choices):
        db = frame_db(audio.samples, audio.sample_rate)
        t = np.arange(len(db)) * HOP_SECONDS
        gaps = silent_gaps(frame_db(_audible(audio.samples, audio.sample_rate), audio.sample_rate))
        active = db > np.max(db) - 50  # ignore digital silence around the sound
        for s, e in gaps:  # and the gaps: the trend is the sound's
            active &= (t < s) | (t >= e)
        slope, intercept = np.polyfit(t[active], db[active], 1)
        start_db = float(intercept + slope * t[active][0])
        end_db = float(intercept + slope * t[active][-1])
        change = end_db - start_db
        trend = "louder" if change > 3 else "quieter" if change < -3 else "steady"
        data = {"start_db": round(start_db, 2), "end_db": round(end_db, 2), "slope_db_per_s": round(float(slope), 3),
                "trend": trend, "mean_db": round(float(np.mean(db[active])), 2), "peak_db": round(float(np.max(db)), 2),
                "gaps": [list(g) for g in gaps], "seconds": round(audio.duration, 3)}
        return data, self.describe(data)

    @staticmethod
    def describe(data: dict) -> str:
        """The gap first, the trend last: a trend question's answer stays the last words."""
        start_db, end_db, gaps = data["start_db"], data["end_db"], data["gaps"]
        # what is there, and where, not what is not: "there is no silent gap" names a gap, and a
        # small reasoner matches words, not their negation (docs/PROMPTS.md)
        if not gaps:
            said = "The sound runs without a break."
        else:
            longest = max(gaps, key=lambda g: g[1] - g[0])
            centre = (longest[0] + longest[1]) / 2 / max(data.get("seconds", 0.0), 1e-6)
            where = "near the start" if centre < 1 / 3 else "in the middle" if centre < 2 / 3 else "near the end"
            said = (f"The sound stops {where}: a silent gap" if len(gaps) == 1 else
                    f"The sound stops {len(gaps)} times; the longest silent gap is {where}") + \
                f" from {longest[0]:.1f} s to {longest[1]:.1f} s."
        if data["trend"] == "louder":
            text = f"The level rises from {start_db:.0f} dB to {end_db:.0f} dB: the sound gets louder."
        elif data["trend"] == "quieter":
            text = f"The level falls from {start_db:.0f} dB to {end_db:.0f} dB: the sound gets quieter."
        else:
            text = f"The level stays around {data['mean_db']:.0f} dB: the loudness is steady."
        return f"{said} {text}"

    def contrast_texts(self, data):
        """The other two trends (the same levels, the other way), and the gap said the other way
        (none, or one across the middle of the clip)."""
        low, high = sorted((data["start_db"], data["end_db"]))
        if high - low <= 3:  # a steady sound: an alternative trend needs levels that move
            low, high = data["mean_db"] - 10, data["mean_db"] + 10
        levels = {"louder": (low, high), "quieter": (high, low), "steady": (data["start_db"], data["end_db"])}
        alternatives = [{**data, "trend": t, "start_db": levels[t][0], "end_db": levels[t][1]}
                        for t in levels if t != data["trend"]]
        middle = data.get("seconds", 2.0) / 2
        alternatives.append({**data, "gaps": [] if data["gaps"] else [[round(middle - 0.4, 1), round(middle + 0.4, 1)]]})
        return [self.describe(a) for a in alternatives]
