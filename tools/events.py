"""Sound events: how many separate sounds there are, and the beat tempo (librosa)."""
from __future__ import annotations

import os

import numpy as np

from tools.base import Audio, BaseTool
from tools.signal import active_segments, spectral_peak_db


class EventCountTool(BaseTool):
    name = "events"
    description = "Counts separate sound events (beeps, tones, bursts) and lists when they happen."
    cost = 0.2

    def analyze(self, audio: Audio, question, choices):
        segments = active_segments(spectral_peak_db(audio.samples, audio.sample_rate))
        n = len(segments)
        # the count goes last and alone: a small reasoner copies the nearest number
        text = f"Number of separate sound events (beeps, tones): {n}."
        return {"count": n, "segments": [list(s) for s in segments]}, text


class TempoTool(BaseTool):
    """Tempo in BPM.

    Click and beat tracks put their energy in one frequency band; the tool finds the band
    that stands out most above the smoothed spectrum, takes the onsets of its envelope and
    fits the beat period by least squares over beat indices (precise to about 1 BPM, where a
    single inter-onset interval is not). If the onsets are not regular it falls back to
    librosa's beat tracker.
    """

    name = "tempo"
    description = "Tempo of a beat or click track in beats per minute."
    cost = 0.3
    version = "2"

    def analyze(self, audio: Audio, question, choices):
        import librosa

        sr, hop = audio.sample_rate, 32  # 2 ms hops
        mag = np.abs(librosa.stft(audio.samples, n_fft=512, hop_length=hop))
        spectrum = mag.mean(axis=1)
        smooth = np.convolve(spectrum, np.ones(15) / 15, mode="same")
        freqs = librosa.fft_frequencies(sr=sr, n_fft=512)
        usable = np.flatnonzero((freqs > 100) & (freqs < 7000))
        band = int(usable[np.argmax(spectrum[usable] / (smooth[usable] + 1e-9))])
        envelope = 20 * np.log10(mag[band - 1: band + 2].sum(axis=0) + 1e-9)
        onsets = np.array([s for s, _ in active_segments(envelope, hop=hop / sr, min_gap=0.05, min_len=0.004)])
        bpm, period, method = None, None, "beat_track"
        if len(onsets) >= 4:
            ioi = np.diff(onsets)
            median = float(np.median(ioi))
            if np.mean(np.abs(ioi - median) < 0.2 * median) >= 0.7:
                beats = np.round((onsets - onsets[0]) / median)
                period = float(np.polyfit(beats, onsets, 1)[0])
                bpm, method = 60.0 / period, "band_onsets"
        if bpm is None:
            warm_numba_cache()
            tempo, _ = librosa.beat.beat_track(y=audio.samples, sr=sr)
            bpm = float(np.atleast_1d(tempo)[0])
        data = {"bpm": round(bpm, 2), "method": method, "n_onsets": int(len(onsets)),
                "band_hz": round(float(freqs[band]), 1)}
        text = (f"One beat every {period:.2f} s: the tempo is {round(bpm)} BPM." if period
                else f"The tempo is {round(bpm)} BPM.")
        return data, text



_numba_warm = False


def warm_numba_cache() -> None:
    """Compile (or load) librosa's beat-tracker kernels in this process, one process at a time.

    librosa caches them (`@guvectorize(cache=True)`) under NUMBA_CACHE_DIR, and two processes
    compiling the same gufuncs at once can write a mismatched pair of cache files (numba issue
    #10128): every later process then segfaults in `beat_track`. Seen here after a cold
    `make demo`, whose two tool workers met the beat tracker together. An exclusive file lock
    beside the cache makes the first process compile and write while the others wait, then load.
    Costs ~10-20 s once per cache dir, then well under a second once per process."""
    global _numba_warm
    if _numba_warm:
        return
    import fcntl
    import tempfile

    import librosa

    from tools.base import SAMPLE_RATE

    folder = os.environ.get("NUMBA_CACHE_DIR") or tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    clicks = np.zeros(2 * SAMPLE_RATE, np.float32)
    clicks[:: SAMPLE_RATE // 3] = 1.0
    with open(os.path.join(folder, ".audiorouter-numba.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            librosa.beat.beat_track(y=clicks, sr=SAMPLE_RATE)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _numba_warm = True
