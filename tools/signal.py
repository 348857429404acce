"""Small signal helpers shared by several tools (frame envelopes, segments from masks)."""
from __future__ import annotations

import os

import numpy as np

HOP_SECONDS = 0.01
# a spectral peak below this is brown noise's wobbling bass, not a sound: it passed for beeps (22 of 60
# clips at 10-30 dB SNR) and for a sound at the start of speech clips
BASS_HZ = 60.0


def numba_lock_path() -> str:
    """The lock beside the numba cache (NUMBA_CACHE_DIR, else the temp dir) that processes compiling
    into it take turns on (`load_librosa`); a tool's first call into a librosa module numba compiles
    and the built-in tools do not call belongs under it too (`tools.cache.file_lock`)."""
    import tempfile

    folder = os.environ.get("NUMBA_CACHE_DIR") or tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, ".audiorouter-numba.lock")


_librosa = None  # set once per process by load_librosa


def load_librosa():
    """librosa, its compiled kernels loaded in this process under a machine-wide lock; every tool
    that calls librosa gets it here, never by a plain `import librosa`.

    librosa compiles its gufuncs (`@guvectorize(cache=True)` with signatures: peak picking, zero
    crossings, pitch) when the modules that define them are first imported, ~20 s on a cold
    NUMBA_CACHE_DIR, and writes them there. Two processes doing that at once can write a mismatched
    pair of cache files (numba issue #10128, a function's `.nbc` from one process and its `guf-`
    dispatcher from the other): every later process then segfaults in that function. Seen here
    after a cold `make demo`, whose two tool workers met librosa together. So the first process
    compiles and writes while the others wait on an exclusive file lock beside the cache, then load
    what it wrote (~3 s a process)."""
    global _librosa
    if _librosa is None:
        import librosa

        from tools.cache import file_lock

        with file_lock(numba_lock_path()):
            # librosa's submodules load lazily on first attribute access: these are the ones the
            # tools call (core, util, feature), so their kernels compile or load here, under the lock
            librosa.stft, librosa.fft_frequencies, librosa.feature.spectral_flatness
        _librosa = librosa
    return _librosa


def frame_db(samples: np.ndarray, sr: int, hop: float = HOP_SECONDS, win: float = 0.03) -> np.ndarray:
    """RMS level per frame in dB (re full scale)."""
    hop_n, win_n = int(hop * sr), int(win * sr)
    if len(samples) < win_n:
        samples = np.pad(samples, (0, win_n - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, win_n)[::hop_n]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(rms + 1e-10)


def one_window_at_least(samples: np.ndarray, n_fft: int) -> np.ndarray:
    """A clip shorter than one FFT window with silence after it: librosa warns on the short clip
    ("n_fft=1024 is too large for input signal") and pads it with zeros anyway."""
    return samples if len(samples) >= n_fft else np.pad(samples, (0, n_fft - len(samples)))


def spectral_peak_db(samples: np.ndarray, sr: int, hop: float = HOP_SECONDS, n_fft: int = 1024,
                     min_hz: float = 0.0) -> np.ndarray:
    """Per frame, the level of the strongest STFT bin (at or above `min_hz`) in dB.

    A tone keeps its energy in one bin while broadband noise spreads over all of them, so
    this envelope separates beeps from background noise far better than plain RMS. Brown noise
    is the exception: its energy piles up in the lowest bins, whose level wobbles like a tone
    coming and going; `min_hz` leaves them out.
    """
    librosa = load_librosa()
    mag = np.abs(librosa.stft(one_window_at_least(samples, n_fft), n_fft=n_fft, hop_length=int(hop * sr), center=True))
    mag = mag[int(np.ceil(min_hz * n_fft / sr)):]
    return 20 * np.log10(mag.max(axis=0) + 1e-10)


def segments_from_mask(mask: np.ndarray, hop: float, min_gap: float, min_len: float) -> list[tuple[float, float]]:
    """Runs of True frames as (start_s, end_s); gaps shorter than min_gap merged, runs shorter than min_len dropped."""
    runs: list[list[float]] = []
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    start = prev = idx[0]
    for i in idx[1:]:
        if i != prev + 1:
            runs.append([start * hop, (prev + 1) * hop])
            start = i
        prev = i
    runs.append([start * hop, (prev + 1) * hop])
    merged: list[list[float]] = [runs[0]]
    for s, e in runs[1:]:
        if s - merged[-1][1] < min_gap:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [(round(s, 3), round(e, 3)) for s, e in merged if e - s >= min_len]


def active_segments(envelope_db: np.ndarray, hop: float = HOP_SECONDS, min_gap: float = 0.08,
                    min_len: float = 0.04, fraction: float = 0.5) -> list[tuple[float, float]]:
    """Frames well above the noise floor: threshold `fraction` of the way (in dB) from floor to peak."""
    smooth = np.convolve(envelope_db, np.ones(3) / 3, mode="same")
    floor, peak = np.percentile(smooth, 10), np.max(smooth)
    if peak - floor < 6:  # nothing stands out of the background
        return []
    return segments_from_mask(smooth > floor + fraction * (peak - floor), hop, min_gap, min_len)
