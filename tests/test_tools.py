"""Known synthetic inputs with known answers: a wrong tool fails here."""
import numpy as np
import pytest

from conftest import SR, silence, speak, tone
from tools.base import Audio, AudioError, BaseTool, Tool, load_audio
from tools.basic import DurationTool, LoudnessTool
from tools.events import EventCountTool, TempoTool
from tools.pitch import PitchTool, VoicePitchTool
from tools.registry import BUILTIN, build_tools
from tools.speech import ASRTool, PhraseSpotTool, SpeechSegmentsTool


def audio_of(samples):
    return Audio(samples=np.asarray(samples, dtype=np.float32), sample_rate=SR, path="mem", sha256="x")


def noisy(x, snr_db=15, seed=0):
    rng = np.random.default_rng(seed)
    p = np.mean(x[np.abs(x) > 1e-4] ** 2)
    return (x + rng.standard_normal(len(x)).astype(np.float32) * np.sqrt(p / 10 ** (snr_db / 10))).astype(np.float32)


def test_pitch_second_tone_lower():
    a = audio_of(np.concatenate([silence(0.2), tone(440, 0.5), silence(0.3), tone(330, 0.5), silence(0.2)]))
    r = PitchTool().run(a, "", [])
    assert r.ok, r.error
    assert [t["note"] for t in r.data["tones"]] == ["A4", "E4"]
    assert abs(r.data["tones"][0]["hz"] - 440) < 3 and abs(r.data["tones"][1]["hz"] - 330) < 3
    assert r.data["second_vs_first_semitones"] < -4
    assert r.text.endswith("The pitch goes down: the second tone is lower.")


def test_pitch_second_tone_higher_in_noise():
    a = audio_of(noisy(np.concatenate([silence(0.2), tone(300, 0.5), silence(0.3), tone(450, 0.5)]), snr_db=8))
    r = PitchTool().run(a, "", [])
    assert r.text.endswith("The pitch goes up: the second tone is higher.")


@pytest.mark.parametrize("n", [1, 3, 5])
def test_event_counter_counts_bursts(n):
    parts = [silence(0.3)]
    for _ in range(n):
        parts += [tone(1000, 0.15), silence(0.3)]
    r = EventCountTool().run(audio_of(noisy(np.concatenate(parts), snr_db=10)), "", [])
    assert r.ok and r.data["count"] == n and r.text.endswith(f": {n}.")


def test_duration_and_loudness():
    x = tone(500, 3.0)
    rising = x * np.linspace(0.05, 1.0, len(x)).astype(np.float32)
    d = DurationTool().run(audio_of(rising), "", [])
    assert d.data["seconds"] == pytest.approx(3.0, abs=0.01) and "3 seconds" in d.text
    up = LoudnessTool().run(audio_of(rising), "", [])
    down = LoudnessTool().run(audio_of(rising[::-1].copy()), "", [])
    assert up.data["trend"] == "louder" and "louder" in up.text
    assert down.data["trend"] == "quieter" and "quieter" in down.text
    flat = LoudnessTool().run(audio_of(x), "", [])
    assert flat.data["trend"] == "steady"


@pytest.mark.parametrize("bpm", [75, 120, 165])
def test_tempo_of_click_track(bpm):
    x = silence(5.0)
    click = tone(1500, 0.03)
    for t in np.arange(0.1, 4.9, 60 / bpm):
        i = int(t * SR)
        x[i:i + len(click)] += click
    r = TempoTool().run(audio_of(noisy(x, snr_db=10)), "", [])
    assert r.ok and abs(r.data["bpm"] - bpm) < 1.0, r.data
    assert f"{bpm} BPM" in r.text


def test_speech_segments_and_order():
    speech = speak("open the door")
    x = np.concatenate([silence(0.3), speech, silence(1.0), speech, silence(0.5), tone(800, 0.6), silence(0.3)])
    r = SpeechSegmentsTool().run(audio_of(x), "", [])
    assert len(r.data["speech_segments"]) == 2, r.data
    assert "speech segments: 2." in r.text and r.text.endswith("Heard first: the speech. The speech comes before the tone.")
    y = np.concatenate([silence(0.3), tone(800, 0.6), silence(0.6), speech, silence(0.3)])
    r2 = SpeechSegmentsTool().run(audio_of(y), "", [])
    assert r2.text.endswith("Heard first: the tone. The tone comes before the speech.") and r2.data["other_first_kind"] == "tone"
    assert SpeechSegmentsTool().run(audio_of(tone(500, 1.0)), "", []).data["speech_segments"] == []
    # an order question's names for the two sounds, in the line and in its contrasts (they key the cache)
    tool = SpeechSegmentsTool()
    asked = tool.run(audio_of(y), "Is the voice heard before the beep?", ["yes", "no"])
    assert asked.text.endswith("Heard first: the beep. The beep comes before the voice."), asked.text
    assert asked.contrasts[-1].endswith("Heard first: the voice. The voice comes before the beep.")
    assert asked.data["heard_first"] == "tone"  # what was measured; the names only say it
    # a count question keeps the tool's names, as does a question that names two other sounds
    for question in ("Does the person speak two times?", "Does the beep come before the whistle?"):
        assert tool.run(audio_of(y), question, ["yes", "no"]).text == r2.text
    from tools.executor import ToolExecutor
    keys = {ToolExecutor([tool]).cache_key(tool, "sha", q, ["yes", "no"]) for q in ("Is the beep first?", "Is the tone first?")}
    assert len(keys) == 2


@pytest.mark.parametrize("seed, first", [(3, "tone"), (8, "speech"), (9, "tone")])
def test_speech_and_a_tone_in_brown_noise_keep_their_order(seed, first):
    """Brown noise's wobbling bass passed for a sound at the clip's start (speech then "tone first")
    and raised the floor a tone had to clear (no order at all): other sounds are read above 60 Hz.
    These three draws went wrong when they were not."""
    from eval.probe_signals import add_noise

    speech, beep = speak("open the door"), tone(700, 0.6)
    pair = [speech, beep] if first == "speech" else [beep, speech]
    x = np.concatenate([silence(0.3), pair[0], silence(0.6), pair[1], silence(0.3)]).astype(np.float32)
    noisy_x = add_noise(x, 15, np.random.default_rng(seed), "brown").astype(np.float32)
    r = SpeechSegmentsTool().run(audio_of(noisy_x), "", [])
    assert r.ok and r.data.get("heard_first") == first, r.data


def test_phrase_spotting_finds_spoken_phrase():
    choices = ["open the door", "call my mother", "play some music", "the car is red"]
    for phrase in ("play some music", "call my mother"):
        a = audio_of(noisy(np.concatenate([silence(0.3), speak(phrase, "en-us+f3"), silence(0.3)]), snr_db=15))
        r = PhraseSpotTool().run(a, "Which phrase is spoken?", choices)
        assert r.ok and r.data["matched"] == phrase, r.data
        assert f'"{phrase}"' in r.text


def test_phrase_spotting_reads_framed_choices_and_true_false_questions():
    """A choice framed around the spoken words ('Someone says "..."', "Caption: ...") is matched by
    those words; "True or false" with a quoted phrase is the yes/no check of that phrase."""
    a = audio_of(noisy(np.concatenate([silence(0.3), speak("play some music", "en-us+f3"), silence(0.3)]), snr_db=15))
    framed = ["Caption: Open the door.", "Caption: Play some music.", "Caption: Call my mother.", "Caption: The car is red."]
    tool = PhraseSpotTool()
    assert tool.applicable("Which caption matches the speech?", framed)
    r = tool.run(a, "Which caption matches the speech?", framed)
    assert r.ok and r.data["matched"] == "Caption: Play some music.", r.data
    quoted = ["'open the door'", "'play some music'"]
    assert tool.run(a, "What is said?", quoted).data["matched"] == "'play some music'"
    for phrase, said in (("play some music", True), ("call my mother", False)):
        question = f'True or false: the speaker says "{phrase}".'
        assert tool.applicable(question, ["True", "False"])
        r = tool.run(a, question, ["True", "False"])
        assert r.ok and r.data["said"] is said, r.data


def test_phrase_spotting_refuses_without_speech():
    r = PhraseSpotTool().run(audio_of(tone(440, 1.0)), "", ["higher", "lower"])
    assert r.ok and r.data["matched"] is None and "No speech" in r.text


def test_phrase_spotting_names_the_one_choice_its_partial_decode_begins(monkeypatch):
    """Where no choice fits to the end of the speech, pocketsphinx returns the first words of one:
    those name a choice only when no other choice begins with them."""
    import tools.speech as speech

    choices = ["the water is cold", "turn on the light", "the kettle is boiling", "the water is warm"]
    a = audio_of(np.concatenate([silence(0.3), speak("turn on the light", "en-us+f3"), silence(0.3)]))
    monkeypatch.setattr(speech, "_decode", lambda audio, grammar: "turn on the")
    r = PhraseSpotTool().run(a, "Which phrase is spoken?", choices)
    assert r.ok and r.data["matched"] == "turn on the light" and r.data["partial"]
    assert r.text == 'The speaker begins "turn on the", the start of "turn on the light".'
    assert PhraseSpotTool().contrast_texts(r.data) == [
        'The speaker begins "the water is", the start of "the water is cold".',
        'The speaker begins "the kettle is", the start of "the kettle is boiling".',
        'The speaker begins "the water is", the start of "the water is warm".']
    monkeypatch.setattr(speech, "_decode", lambda audio, grammar: "the water is")  # begins two choices
    r = PhraseSpotTool().run(a, "Which phrase is spoken?", choices)
    assert r.data["matched"] is None and r.text == "No choice phrase was recognised in the speech."
    monkeypatch.setattr(speech, "_decode", lambda audio, grammar: "turn on the light")  # a full match says so
    r = PhraseSpotTool().run(a, "Which phrase is spoken?", choices)
    assert r.data["matched"] == "turn on the light" and "partial" not in r.data
    assert r.text == 'The speaker says "turn on the light".'
    assert 'The speaker says "the water is cold".' in PhraseSpotTool().contrast_texts(r.data)


def test_voice_register_male_and_female():
    male = VoicePitchTool().run(audio_of(speak("good morning everyone", "en-us+m3")), "", [])
    female = VoicePitchTool().run(audio_of(speak("good morning everyone", "en-us+f4")), "", [])
    assert male.data["register"] == "male" and male.text.endswith("likely male.")
    assert female.data["register"] == "female" and female.text.endswith("likely female.")
    assert "No voice" in VoicePitchTool().run(audio_of(tone(200, 1.0)), "", []).text


def test_free_asr_runs():
    r = ASRTool().run(audio_of(speak("the water is cold")), "", [])
    assert r.ok and isinstance(r.data["transcript"], str) and r.text


def test_free_asr_decodes_only_the_speech(monkeypatch):
    """pocketsphinx sees silero-vad's speech spans, not the clip: a clip without speech is not
    decoded at all (it made words up from tones), and speech between tones is decoded alone."""
    import tools.speech as speech

    decoded = []
    real = speech._decode
    monkeypatch.setattr(speech, "_decode", lambda audio, jsgf=None: decoded.append(audio.duration) or real(audio, jsgf))
    r = ASRTool().run(audio_of(np.concatenate([tone(300, 1.0), silence(0.5), tone(500, 1.0)])), "", [])
    assert decoded == [] and r.text == "Speech recognition heard no words." and r.data["transcript"] == ""
    words = speak("the water is cold")
    clip = np.concatenate([tone(300, 2.0), silence(0.5), words, silence(0.5), tone(500, 2.0)])
    r = ASRTool().run(audio_of(clip), "", [])
    assert r.ok and len(decoded) == 1 and decoded[0] < len(words) / SR + 1.0  # the words and a margin, no tones


def test_speech_tools_share_one_silero_pass_per_clip(monkeypatch):
    import silero_vad

    import tools.speech as speech

    calls = []
    original = silero_vad.get_speech_timestamps
    monkeypatch.setattr(silero_vad, "get_speech_timestamps", lambda *a, **k: calls.append(1) or original(*a, **k))
    audio = audio_of(np.concatenate([silence(0.3), speak("the car is red"), silence(0.3)]))
    first = speech.silero_segments(audio)
    assert speech.silero_segments(audio) == first and len(calls) == 1  # the same samples: memoized
    assert speech.silero_segments(audio_of(audio.samples.copy())) == first and len(calls) == 2  # other samples: run


def test_failing_tool_gives_error_result():
    class Broken(BaseTool):
        name = "broken"

        def analyze(self, audio, question, choices):
            raise RuntimeError("boom")

    r = Broken().run(audio_of(tone(440, 0.5)), "", [])
    assert not r.ok and "boom" in r.error and r.text == ""


def test_registry_builds_all_and_rejects_unknown():
    tools = build_tools()
    assert {t.name for t in tools} == set(BUILTIN) and all(isinstance(t, Tool) for t in tools)
    assert [t.name for t in build_tools([{"name": "pitch", "cost": 2.5}])] == ["pitch"]
    assert build_tools([{"name": "pitch", "cost": 2.5}])[0].cost == 2.5
    with pytest.raises(ValueError, match="unknown tool 'whisperx'"):
        build_tools([{"name": "whisperx"}])
    plug = build_tools([{"name": "dur2", "class": "tools.basic.DurationTool"}])
    assert plug[0].name == "dur2"


def test_load_audio_resamples_and_mixes(write_wav):
    stereo = np.stack([tone(440, 1.0), tone(440, 1.0)], axis=1)
    import soxr
    path = write_wav("s.wav", soxr.resample(stereo, SR, 44100), 44100)
    a = load_audio(path)
    assert a.sample_rate == SR and a.samples.ndim == 1 and abs(a.duration - 1.0) < 0.01


@pytest.mark.parametrize("content,reason", [(None, "file not found"), (b"", "file is empty"),
                                            (b"this is not audio at all" * 10, "not readable as audio"),
                                            (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not readable as audio")])
def test_load_audio_rejects_bad_files(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError, match=reason) as info:
        load_audio(str(path))
    assert str(path) in str(info.value)


def test_result_features_say_what_each_tool_found():
    """Each tool's feature_vector has one number per declared feature, of order 1, and carries the
    finding the router's next decision can hinge on (a failed or uncalled tool is zeros: test_env)."""
    speech = speak("open the door")
    two_tones = audio_of(np.concatenate([silence(0.2), tone(440, 0.5), silence(0.3), tone(330, 1.0), silence(0.2)]))
    talk_then_tone = audio_of(np.concatenate([silence(0.3), speech, silence(0.6), tone(800, 0.6), silence(0.3)]))
    clicks = np.zeros(SR * 6, np.float32)
    clicks[:: SR // 2] = 1.0  # 120 BPM

    def features(tool, audio, question="", choices=()):
        result = tool.run(audio, question, list(choices))
        assert result.ok, result.error
        values = tool.feature_vector(result.data)
        assert len(values) == len(tool.features) and all(np.isfinite(v) and abs(v) <= 2 for v in values)
        return dict(zip(tool.features, values))

    assert features(PitchTool(), two_tones)["direction"] == pytest.approx(-5 / 12, abs=0.02)  # A4 -> E4
    assert features(PitchTool(), two_tones)["tones"] == 0.5
    assert features(EventCountTool(), two_tones) == {"count": 0.2, "second_longer": 1.0}
    assert features(DurationTool(), two_tones)["log_seconds"] == pytest.approx(np.log1p(2.2) / 3, abs=0.01)
    rising = tone(500, 3.0) * np.linspace(0.05, 1.0, SR * 3).astype(np.float32)
    assert features(LoudnessTool(), audio_of(rising))["trend"] > 0.5 > 0 > features(LoudnessTool(), audio_of(rising[::-1].copy()))["trend"]
    assert features(SpeechSegmentsTool(), talk_then_tone) == {"speech": 1.0, "speech_segments": 0.2, "other_sounds": 0.2,
                                                             "speech_first": 1.0}
    assert features(SpeechSegmentsTool(), audio_of(tone(500, 1.0)))["speech"] == 0.0
    assert features(VoicePitchTool(), audio_of(speak("good morning everyone", "en-us+f4")))["register"] > 0
    assert features(VoicePitchTool(), audio_of(tone(200, 1.0))) == {"voice": 0.0, "register": 0.0}
    tempo = features(TempoTool(), audio_of(clicks))
    assert tempo["beat"] == 1.0 and tempo["bpm"] == pytest.approx(0.6, abs=0.01) and abs(tempo["change"]) < 0.1
    spotted = features(PhraseSpotTool(), audio_of(np.concatenate([silence(0.3), speech, silence(0.3)])),
                       "Which phrase is spoken?", ["open the door", "call my mother"])
    assert spotted == {"spotted": 1.0}
    assert features(PhraseSpotTool(), audio_of(tone(440, 1.0)), "What does the speaker say?",
                    ["higher", "lower"]) == {"spotted": 0.0}
    assert all(cls.features for cls in BUILTIN.values())  # every built-in tool shows the router something


def test_tools_run_prints_each_chosen_tool_and_refuses_unknown_ones(write_wav, capsys):
    """`audiorouter tools run`: the chosen tools on one clip, one line each (or one JSON result
    each with --json); an unknown tool name or a file that is not audio is exit code 2 with a reason."""
    import json
    import os

    from cluster.cli import main

    demo = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "demo.yaml")
    clip = str(write_wav("a4.wav", np.concatenate([silence(0.3), tone(440, 1.0), silence(0.3)])))
    run = ["tools", "run", "--config", demo, "--audio", clip]
    assert main([*run, "--tools", "duration,pitch"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["duration", "pitch"]
    assert lines[1].endswith("One steady tone at 440 Hz: the note A4.")
    assert main([*run, "--tools", "pitch", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tool"] == "pitch" and result["ok"] and result["data"]["tones"][0]["note"] == "A4"
    assert main([*run, "--tools", "pitch,nosuch"]) == 2
    assert "unknown tool(s) ['nosuch']" in capsys.readouterr().err
    junk = os.path.join(os.path.dirname(clip), "junk.wav")
    with open(junk, "w") as f:
        f.write("not audio")
    assert main(["tools", "run", "--config", demo, "--audio", junk]) == 2
    assert "not readable as audio" in capsys.readouterr().err
