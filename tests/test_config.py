"""The typed config: every key checked when the config loads (unknown keys and misspellings named,
with the nearest known key), defaults declared once, `base:` inheritance, `config show`."""
import os

import pytest
import yaml

from cluster.config import load_config, resolve, show_config
from tools.sections import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "configs", "demo.yaml")


@pytest.mark.parametrize("override,message", [
    ("train.iteratons=5", "train.iteratons: unknown key; did you mean 'iterations'?"),
    ("train.env.max_cals=5", "train.env.max_cals: unknown key; did you mean 'max_calls'?"),
    ("reasoner.prompt_stile=plain", "reasoner.prompt_stile: unknown key; did you mean 'prompt_style'?"),
    ("evals.seed=1", "evals: unknown key; did you mean 'eval'?"),
    ("tool_timeout=5", "tool_timeout: unknown key; did you mean 'tool_timeout_s'?"),
    ("pools.reasoner.max_bach=4", "pools.reasoner.max_bach: unknown key; did you mean 'max_batch'?"),
    ("train.iterations=many", "train.iterations: expected a number, got 'many'"),
    ("train.env.shuffle=7", "train.env.shuffle: expected true or false"),
    ("train.env.reasoner_confidence_floor=1.5", "train.env.reasoner_confidence_floor) must be in [0, 1), got 1.5"),
    ("train.env.reasoner_confidence_span=2", "train.env.reasoner_confidence_span) must be in [0, 1], got 2"),
])
def test_a_wrong_key_or_value_is_one_line_naming_file_key_and_suggestion(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, [override])
    text = str(info.value)
    assert text.startswith(f"{DEMO} (with --set): ") and message in text and "\n" not in text


def test_cli_exits_2_with_one_line(capsys):
    from cluster.cli import main

    assert main(["eval", "--config", DEMO, "--data", "x", "--set", "train.iteratons=5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"audiorouter: error: {DEMO} (with --set): train.iteratons: unknown key; did you mean 'iterations'?"]


def test_misspelt_key_in_a_file(tmp_path):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"reasoner": {"backend": "openai", "base_url": "http://x",
                                                                   "model": "m", "timeout": 5}}))
    with pytest.raises(ConfigError, match=r"c.yaml: reasoner.timeout: unknown key; did you mean 'timeout_s'\?"):
        load_config(str(tmp_path / "c.yaml"))
    (tmp_path / "d.yaml").write_text(yaml.safe_dump({"tools": [{"name": "pitch", "parms": {}}]}))
    with pytest.raises(ConfigError, match=r"d.yaml: tools\[0\].parms: unknown key; did you mean 'params'\?"):
        load_config(str(tmp_path / "d.yaml"))
    (tmp_path / "e.yaml").write_text(yaml.safe_dump({"reasoner": {"backend": "gpt9"}}))
    with pytest.raises(ConfigError, match="unknown reasoner backend 'gpt9'"):
        load_config(str(tmp_path / "e.yaml"))


def test_defaults_are_filled_and_optional_sections_stay_absent():
    cfg = load_config(None)
    assert "train" not in cfg and "pools" not in cfg and "tools" not in cfg  # absent means something
    assert cfg["eval"]["systems"] == ["none", "all", "expert"] and cfg["mlflow"]["experiment"] == "audiorouter"
    cfg = load_config(None, ["train.iterations=3"])
    assert cfg["train"]["iterations"] == 3 and cfg["train"]["hidden"] == [128, 128]  # one default, here
    assert cfg["train"]["env"]["max_calls"] == 3 and cfg["train"]["lr"] == 3e-4
    assert resolve(cfg) == cfg  # resolving twice changes nothing (a resumed run's config.yaml)
    assert load_config(None, ["train.env.split=null"])["train"]["env"]["split"] is None  # every item


def test_base_inheritance(tmp_path):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"train": {"iterations": 7, "env": {"max_calls": 2}},
                                                        "tools": [{"name": "pitch"}, {"name": "duration"}]}))
    (tmp_path / "child.yaml").write_text(yaml.safe_dump({"base": "base.yaml", "train": {"env": {"max_calls": 1}},
                                                         "tools": [{"name": "pitch"}]}))
    cfg = load_config(str(tmp_path / "child.yaml"))
    assert cfg["train"]["iterations"] == 7 and cfg["train"]["env"]["max_calls"] == 1  # mappings merge
    assert cfg["tools"] == [{"name": "pitch"}]  # lists replace
    (tmp_path / "loop.yaml").write_text("base: loop.yaml\n")
    with pytest.raises(ConfigError, match="loops back"):
        load_config(str(tmp_path / "loop.yaml"))


def test_shipped_configs_resolve_and_omni_is_qwen2_audio_with_another_model():
    for name in os.listdir(os.path.join(ROOT, "configs")):
        load_config(os.path.join(ROOT, "configs", name))
    audio = load_config(os.path.join(ROOT, "configs", "qwen2_audio.yaml"))
    omni = load_config(os.path.join(ROOT, "configs", "qwen2_5_omni.yaml"))
    assert omni["reasoner"]["family"] == "qwen2_5_omni" and omni["train"]["run_dir"] == "runs/qwen2_5_omni"
    same = {k for k in audio if audio[k] == omni[k]}
    assert same == set(audio) - {"reasoner", "train", "mlflow"}
    assert {k: v for k, v in omni["reasoner"].items() if k not in ("family", "model")} == \
        {k: v for k, v in audio["reasoner"].items() if k not in ("family", "model")}


def test_config_show_prints_every_default_with_its_doc(capsys):
    from cluster.cli import main

    assert main(["config", "show", "--config", DEMO, "--set", "train.iterations=4"]) == 0
    out = capsys.readouterr().out
    shown = yaml.safe_load(out)  # the comments aside, it is the resolved config itself
    assert shown == {**load_config(DEMO, ["train.iterations=4"]), **{k: shown[k] for k in shown if k.endswith(
        ("_s", "_seconds", "_fraction"))}}
    assert "  iterations: 4  # PPO iterations" in out
    assert "    max_calls: 1  # tool calls per episode at most" in out
    bare = show_config(load_config(None)).splitlines()  # an empty config: every default, every line documented
    assert len(bare) == len(yaml.safe_load("\n".join(bare)) and bare) and all("  # " in line for line in bare)
    assert "  fit_split: train  # split single-best picks its tools on" in bare


def test_lr_final_anneals_the_learning_rate_over_the_runs_env_steps():
    """Without lr_final RLlib gets the constant lr; with it, a piecewise-linear schedule from lr at
    step 0 to lr_final at the last iteration's env steps, counting every learner's batch."""
    from policy.ppo import build_ppo_config

    cfg = load_config("configs/demo.yaml", ["train.iterations=30", "train.train_batch_size=512"])
    assert build_ppo_config(cfg).lr == cfg["train"]["lr"]
    annealed = build_ppo_config(load_config("configs/demo.yaml", ["train.lr_final=0.0002"]))
    assert annealed.lr == [[0, cfg["train"]["lr"]], [30 * 512, 0.0002]]
    two = build_ppo_config(load_config("configs/demo.yaml", ["train.lr_final=0.0002", "train.num_learners=2",
                                                              "train.train_batch_size=256"]))
    assert two.lr[-1] == [30 * 256 * 2, 0.0002]
    with pytest.raises(ConfigError, match="lr_final"):
        load_config("configs/demo.yaml", ["train.lr_final=-1"])
