"""setup.cfg and environment.yml pin the same versions; the console script is declared."""
import configparser
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_environment_yml_mirrors_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    pins = [line.strip() for line in cfg["options"]["install_requires"].splitlines() if line.strip()]
    pins += [line.strip() for line in cfg["options.extras_require"]["test"].splitlines() if line.strip()]
    env = yaml.safe_load(open(os.path.join(ROOT, "environment.yml")))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(pins) == sorted(pip)
    assert all("==" in p or p.startswith("setuptools") for p in pins)
    assert "audiorouter = cluster.cli:main" in cfg["options.entry_points"]["console_scripts"]


def test_demo_config_loads_and_names_known_parts():
    from cluster.config import load_config
    from tools.registry import BUILTIN
    cfg = load_config(os.path.join(ROOT, "configs", "demo.yaml"), ["eval.seed=3"])
    assert cfg["eval"]["seed"] == 3
    assert {t["name"] for t in cfg["tools"]} <= set(BUILTIN)
