"""The tools on the signals real questions bring (drum loops, changing tempo, a music bed, babble,
two voices): known answers from eval/probe_signals.py. benchmarks/tool_signals.py measures the
same kinds over many clips; these are a few fixed cases of each."""
import re

import numpy as np
import pytest

from eval import probe_signals as ps
from tools.base import Audio
from tools.events import TempoTool


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
