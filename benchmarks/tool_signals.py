"""Each built-in tool on synthesized clips with known answers, per signal kind.

    python benchmarks/tool_signals.py --per-kind 20 --seed 0 --out docs/results/tool_signals.json
    python benchmarks/tool_signals.py --per-kind 5 --only tempo,events   # a quick subset

Clip k of a kind is drawn from a generator seeded by (seed, kind, k), so a run is repeatable. A
kind makes (audio, question, choices, check); check(result) -> (correct, abs % error or None).
Prints a markdown table (tool, signal kind, n, accuracy %, how often the tool said nothing, and
for the tempo rows the median and max absolute % error of the BPM) and writes each clip's
outcome as JSON. A failed or silent tool counts as wrong.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from eval import probe_signals as ps  # noqa: E402
from eval.probe import PHRASES  # noqa: E402
from tools.base import Audio  # noqa: E402
from tools.registry import BUILTIN  # noqa: E402

# probe_signals' names that espeak-ng here renders as its default male voice: en-gb+<variant> ignores
# the variant, and variant files are lower case. The working spelling of each, so labels stay true.
RENDERED = {"en-gb+f4": "en+f4", "en-gb+m1": "en+m1", "en-us+Belinda": "en-us+belinda",
            "en-us+Linda": "en-us+linda", "en-us+John": "en-us+john"}
MALE = [RENDERED.get(v, v) for v in ps.MALE_VOICES + ps.MORE_MALE_VOICES]
FEMALE = [RENDERED.get(v, v) for v in ps.FEMALE_VOICES + ps.MORE_FEMALE_VOICES]
NOTES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
KINDS: dict[str, tuple[str, object]] = {}  # kind -> (tool, clip maker)


def pick(rng, options):
    return options[int(rng.integers(len(options)))]


def pad(x, rng):
    return np.concatenate([ps.silence(rng.uniform(0.2, 0.5)), x, ps.silence(rng.uniform(0.2, 0.5))])


def noisy(x, rng, lo=5, hi=30):
    return ps.add_noise(x, rng.uniform(lo, hi), rng, pick(rng, list(ps.NOISE_COLOURS)))


def under(x, rng, background: str):
    """Noise (5-30 dB SNR), a music bed (10-15 dB under) or babble (10-15 dB under)."""
    if background == "noise":
        return noisy(x, rng)
    bed = ps.music_bed(len(x) / ps.SR, rng) if background == "music" else ps.babble(len(x) / ps.SR, rng, PHRASES)
    return ps.mix_under(x, bed, rng.uniform(10, 15))


def ends(text: str):  # a check: the text's conclusion
    return lambda r: (r.text.endswith(text), None)


def tempo(rng, beat, background):
    bpm, seconds = rng.uniform(60, 180), rng.uniform(6, 10)
    x = ps.beat_track(bpm, seconds, rng, beat)
    x = noisy(x, rng) if background == "noise" else ps.mix_under(x, ps.music_bed(seconds, rng), rng.uniform(6, 12))

    def check(r):
        err = 100 * abs((r.data.get("bpm") or 0) - bpm) / bpm
        shown = re.search(r"the tempo is (\d+) BPM", r.text)
        return err < 4 and shown is not None and abs(int(shown[1]) - bpm) < 0.04 * bpm \
            and r.text.endswith("The beat stays steady."), err
    return x, "What is the tempo?", [], check


def tempo_change(rng):
    change, start = pick(rng, ["faster", "slower", "steady"]), rng.uniform(70, 150)
    ratio = {"faster": rng.uniform(1.2, 1.6), "slower": 1 / rng.uniform(1.2, 1.6), "steady": 1.0}[change]
    x = ps.beat_track(start, rng.uniform(6, 12), rng, pick(rng, list(ps.BEAT_KINDS)), end_bpm=start * ratio)
    return noisy(x, rng, 10, 30), "Does the tempo speed up or slow down?", [], ends(f"{change}.")


def beeps(rng, timbre, background):
    n, freq, parts = int(rng.integers(1, 7)), rng.uniform(300, 1500), [ps.silence(rng.uniform(0.2, 0.5))]
    for _ in range(n):
        parts += [ps.tone(freq, rng.uniform(0.1, 0.3), rng, timbre) * rng.uniform(0.6, 1.0), ps.silence(rng.uniform(0.2, 0.45))]
    x = np.concatenate(parts)
    x = noisy(x, rng, 10, 30) if background == "noise" else under(x, rng, background)
    return x, "How many beeps are there?", [], lambda r: (r.data.get("count") == n and f"(beeps, tones): {n}." in r.text, None)


def two_lengths(rng):
    a = rng.uniform(0.3, 1.5)
    b = a * rng.uniform(1.4, 2.5) if rng.random() < 0.5 else max(0.3, a / rng.uniform(1.4, 2.5))
    a = a if max(a, b) > 1.4 * min(a, b) else 1.5 * b  # b clipped at 0.3 s: keep them 40% apart
    src = pick(rng, ["tone", "noise"])  # each sound its own timbre or noise colour, as in probe v2

    def sound(seconds):
        if src == "tone":
            return ps.tone(rng.uniform(300, 1200), seconds, rng, pick(rng, list(ps.TIMBRES)))
        return ps.fade(ps.noise(int(seconds * ps.SR), pick(rng, list(ps.NOISE_COLOURS)), rng) / 3)

    x = pad(np.concatenate([sound(a), ps.silence(rng.uniform(0.3, 1.0)), sound(b)]), rng)
    return noisy(x, rng, 10, 30), "Which sound is longer?", [], ends(f"the {'second' if b > a else 'first'} sound is longer.")


def gap(rng):
    seconds, src = rng.uniform(2, 8), pick(rng, ["tone", "noise", "music"])
    n = int(seconds * ps.SR)
    x = {"tone": lambda: ps.tone(rng.uniform(200, 1000), seconds, rng, pick(rng, list(ps.TIMBRES))),
         "noise": lambda: ps.noise(n, pick(rng, list(ps.NOISE_COLOURS)), rng) / 4,
         "music": lambda: ps.music_bed(seconds, rng)}[src]()[:n].copy()
    truth = None
    if rng.random() < 0.5:  # half the clips: 0.3-1.5 s of silence around the middle, 10 ms fades
        length = rng.uniform(0.3, 1.5)
        start = rng.uniform(0.35, 0.65) * seconds - length / 2
        a, b = int(start * ps.SR), int((start + length) * ps.SR)
        x = np.concatenate([ps.fade(x[:a]), np.zeros(b - a, np.float32), ps.fade(x[b:])])
        truth = (start, start + length)
    x = ps.add_noise(x, rng.uniform(10, 30), rng, pick(rng, list(ps.NOISE_COLOURS)))

    def check(r):
        gaps = r.data.get("gaps", [])
        if truth is None:
            return not gaps and "without a break" in r.text, None
        return len(gaps) == 1 and abs(gaps[0][0] - truth[0]) < 0.15 and abs(gaps[0][1] - truth[1]) < 0.15, None
    return x, "Is there a silent gap in the sound?", [], check


def pitched(rng, timbre, background):
    f1 = 2 ** rng.uniform(np.log2(200), np.log2(1000))
    if rng.random() < 0.5:  # one tone: its note name
        x, midi = pad(ps.tone(f1, rng.uniform(0.6, 1.5), rng, timbre), rng), round(69 + 12 * np.log2(f1 / 440))
        check = ends(f"the note {NOTES[midi % 12]}{midi // 12 - 1}.")
    else:  # two tones: the second 2-8 semitones higher or lower
        step = rng.uniform(2, 8) * pick(rng, [1, -1])
        x = pad(np.concatenate([ps.tone(f1, rng.uniform(0.4, 0.8), rng, timbre), ps.silence(rng.uniform(0.2, 0.4)),
                                ps.tone(f1 * 2 ** (step / 12), rng.uniform(0.4, 0.8), rng, timbre)]), rng)
        check = ends(f"The second tone is {'higher' if step > 0 else 'lower'}.")
    x = noisy(x, rng, 15, 30) if background == "noise" else under(x, rng, background)
    return x, "Which note is played?", [], check


def voice(rng, pool, background):
    gender = pick(rng, ["male", "female"])
    everyone = {"male": MALE, "female": FEMALE}[gender]  # probe v1's five, then the MORE_ ones
    voices = everyone[:5] if pool == "plain" else everyone[5:]
    x = pad(ps.speak(pick(rng, PHRASES), pick(rng, voices), int(rng.integers(130, 180))), rng)
    return under(x, rng, "babble") if background else x, "Is the speaker male or female?", [], ends(f"likely {gender}.")


def utterances(rng, voices):
    parts = [ps.silence(rng.uniform(0.2, 0.5))]
    for v in voices:
        parts += [ps.speak(pick(rng, PHRASES), v, int(rng.integers(140, 180))), ps.silence(rng.uniform(0.8, 1.4))]
    return np.concatenate(parts)


def vad(rng, background):
    n = int(rng.integers(1, 5))
    x = utterances(rng, [pick(rng, MALE + FEMALE)] * n)
    return under(x, rng, "babble") if background else x, "How many utterances?", [], lambda r: (len(r.data.get("speech_segments", [])) == n
                                                     and r.text.startswith(f"Number of separate speech segments: {n}."), None)


def speakers(rng, pairing):
    first = pick(rng, MALE + FEMALE)
    voices = [first]
    if pairing != "one voice":  # another variant of the same register, or a voice of the other
        same = [v for v in (MALE if first in MALE else FEMALE) if v != first]
        voices.append(pick(rng, same if pairing == "same register" else FEMALE if first in MALE else MALE))
    order = voices + [pick(rng, voices) for _ in range(int(rng.integers(2, 5)) - len(voices))]
    n = len(voices)
    return utterances(rng, list(rng.permutation(order))), "How many different speakers are there?", [], \
        lambda r: (r.data.get("count") == n and r.text.endswith(f": {n}."), None)


def phrase(rng, background):
    choices = [PHRASES[i] for i in rng.choice(len(PHRASES), size=4, replace=False)]
    x = pad(ps.speak(choices[0], pick(rng, ps.MALE_VOICES + ps.FEMALE_VOICES), int(rng.integers(130, 180))), rng)
    x = under(x, rng, "babble") if background == "babble" else noisy(x, rng, 15, 30)
    return x, "What does the speaker say?", list(rng.permutation(choices)), \
        lambda r: (r.data.get("matched") == choices[0] and f'"{choices[0]}"' in r.text, None)


def phrase_yes_no(rng, background):
    asked, other = [PHRASES[i] for i in rng.choice(len(PHRASES), size=2, replace=False)]
    said = pick(rng, [asked, other])
    x = pad(ps.speak(said, pick(rng, MALE + FEMALE), int(rng.integers(110, 200))), rng)
    x = under(x, rng, "babble") if background == "babble" else noisy(x, rng)
    want = f'The speaker {"says" if said == asked else "does not say"} "{asked}".'
    return x, f"Does the speaker say '{asked}'?", ["yes", "no"], lambda r: (r.text == want, None)


def register(tool: str, name: str, make, *args):
    KINDS[name] = (tool, lambda rng: make(rng, *args))


for _b, _bg in [(b, bg) for b in ps.BEAT_KINDS for bg in ("noise", "music bed")]:
    register("tempo", f"{_b} + {_bg}", tempo, _b, _bg)
register("tempo", "tempo change (faster/slower/steady)", tempo_change)
for _tool, _make, _what in (("events", beeps, "beeps"), ("pitch", pitched, "tones")):
    for _bg, _t in [(bg, t) for bg in ("noise", "music") for t in ps.TIMBRES]:
        register(_tool, f"{_t} {_what} + {_bg.replace('music', 'music bed')}", _make, _t, _bg)
    if _tool == "events":
        register("events", "two sounds: which is longer", two_lengths)
        register("loudness", "silent gap (tone/noise/music, half without)", gap)
for _pool, _bg, _label in (("plain", "", "plain voices"), ("plain", "babble", "plain voices + babble"),
                           ("more", "", "more voices")):
    register("voice", _label, voice, _pool, _bg)
register("vad", "utterances", vad, "")
register("vad", "utterances + babble", vad, "babble")
for _pairing in ("one voice", "male + female", "same register"):
    register("speakers", f"{_pairing}, 2-4 utterances", speakers, _pairing)
for _bg in ("noise", "babble"):
    register("phrase_spot", f"phrase + {_bg}", phrase, _bg)
    register("phrase_spot", f"yes/no quoted phrase + {_bg}", phrase_yes_no, _bg)


def run(per_kind: int, seed: int, only: set[str]) -> list[dict]:
    tools = {name: cls() for name, cls in BUILTIN.items()}
    rows = []
    for name, (tool, make) in KINDS.items():
        if (only and tool not in only) or tool not in tools:
            continue
        for k in range(per_kind):
            x, question, choices, check = make(np.random.default_rng([seed, zlib.crc32(name.encode()), k]))
            audio = Audio(samples=np.asarray(x, np.float32), sample_rate=ps.SR, path="mem", sha256="x")
            r = tools[tool].run(audio, question, choices)
            ok, err = check(r)
            rows.append({"tool": tool, "kind": name, "k": k, "correct": bool(ok), "abs_pct_error": err,
                         "silent": not r.text, "text": r.text, "error": r.error, "seconds": round(r.seconds, 3)})
            print(f"{'ok ' if ok else 'BAD'} {tool:11s} {name:40s} {k:2d} | {r.text or r.error}", file=sys.stderr)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| tool | signal kind | n | accuracy % | said nothing | tempo: median / max abs % error |",
             "|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["kind"] for r in rows):
        sel = [r for r in rows if r["kind"] == name]
        errs = [r["abs_pct_error"] for r in sel if r["abs_pct_error"] is not None]
        extra = f"{np.median(errs):.1f} / {np.max(errs):.1f}" if errs else ""
        acc = 100 * np.mean([r["correct"] for r in sel])
        lines.append(f"| {sel[0]['tool']} | {name} | {len(sel)} | {acc:.0f} | {sum(r['silent'] for r in sel)} | {extra} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-kind", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated tool names (default: all)")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    rows = run(args.per_kind, args.seed, set(filter(None, args.only.split(","))))
    print(table(rows))
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"per_kind": args.per_kind, "seed": args.seed, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
