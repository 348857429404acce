"""Tools that need weights (tools/model_tools.py) with tiny random models of the real classes:
built from a local path, run on a clip through the executor, results cached; a missing path is
an error when the tool set is built, naming the config key."""
import numpy as np
import pytest

import tiny_models
from tools.base import Audio
from tools.registry import build_tools


def clip(seconds=1.0):
    t = np.arange(int(16000 * seconds)) / 16000
    return Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000, "tone.wav", "sha-tone")


def test_whisper_transcribes_a_clip_from_a_local_checkpoint(tmp_path):
    [tool] = build_tools([{"name": "whisper", "params": {"model_path": tiny_models.whisper(str(tmp_path / "w"))}}])
    result = tool.run(clip(), "What is said?", ["yes", "no"])
    assert result.ok, result.error
    assert isinstance(result.data["transcript"], str)  # random weights: the words are noise
    assert result.text.startswith(("Whisper transcript:", "Whisper heard no words."))
    assert tool.version == "1:w"  # another checkpoint never reuses these cached results


def test_clap_tags_over_the_choices_or_the_configured_labels(tmp_path):
    folder = tiny_models.clap(str(tmp_path / "c"))
    by_choices, by_labels = build_tools([{"name": "clap", "params": {"model_path": folder}},
                                         {"name": "clap_fixed", "class": "tools.model_tools.ClapEventsTool",
                                          "params": {"model_path": folder, "labels": ["dog", "siren", "rain"]}}])
    result = by_choices.run(clip(), "What is it?", ["a bell", "a drum"])
    assert result.ok, result.error
    assert set(result.data["probabilities"]) == {"a bell", "a drum"}
    assert sum(result.data["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert by_choices.uses_choices and not by_labels.uses_choices  # the choices key the cache only when used
    fixed = by_labels.run(clip(2.0), "What is it?", ["x", "y"])
    assert fixed.ok and set(fixed.data["probabilities"]) == {"dog", "siren", "rain"}
    assert fixed.text.startswith("Sounds most like (CLAP): ") and fixed.text.count("%") == 3


def test_missing_weights_fail_when_the_tools_are_built_naming_the_key(tmp_path):
    with pytest.raises(ValueError, match=r"needs tools\[whisper\].params.model_path"):
        build_tools([{"name": "whisper"}])
    with pytest.raises(ValueError, match=r"tools\[clap\].params.model_path: /no/such/clap does not exist"):
        build_tools([{"name": "clap", "params": {"model_path": "/no/such/clap"}}])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no config.json"):
        build_tools([{"name": "whisper", "params": {"model_path": str(tmp_path / "empty")}}])
    assert "whisper" not in [t.name for t in build_tools(None)]  # never part of the default tool set
