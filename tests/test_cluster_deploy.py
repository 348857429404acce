"""Offline checks of the cluster definitions: the launcher YAML against Ray's own schema, the
KubeRay RayJob's fields, and the 2 x 8-GPU config's arithmetic against both (every actor it asks
for fits the nodes they define, on the custom resources they advertise)."""
import configparser
import json
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "cluster", "deploy", "aws-gpu-cluster.yaml")
RAYJOB = os.path.join(ROOT, "cluster", "deploy", "rayjob.yaml")
CONFIG = os.path.join(ROOT, "configs", "cluster_2x8gpu.yaml")


def load(path):
    """A launcher or job YAML as it is; one of our configs resolved (its `base:` chain, defaults)."""
    if os.path.dirname(path) == os.path.join(ROOT, "configs"):
        from cluster.config import load_config

        return load_config(path)
    with open(path) as f:
        return yaml.safe_load(f)


def ray_schema():
    import ray.autoscaler

    with open(os.path.join(os.path.dirname(ray.autoscaler.__file__), "ray-schema.json")) as f:
        return json.load(f)


def demand(cfg: dict) -> dict[str, float]:
    """Resources the config's actors ask for: pools, learners, env runners and the driver."""
    t, p = cfg["train"], cfg["pools"]
    need = {"CPU": 1.0 + t["num_env_runners"] * 1.0 + t["num_learners"] * 1.0, "GPU": 0.0}
    for pool in p.values():
        n = pool["replicas"]
        need["CPU"] += n * pool.get("num_cpus", 1)
        need["GPU"] += n * pool.get("num_gpus", 0)
        for name, amount in (pool.get("resources") or {}).items():
            need[name] = need.get(name, 0.0) + n * amount
    need["GPU"] += t["num_learners"] * t["num_gpus_per_learner"]
    return need


def fits(need: dict[str, float], supply: dict[str, float]) -> list[str]:
    return [f"{k}: need {v:g}, have {supply.get(k, 0):g}" for k, v in need.items() if v > supply.get(k, 0)]


def launcher_supply(launcher: dict) -> dict[str, float]:
    supply: dict[str, float] = {}
    for name, node in launcher["available_node_types"].items():
        count = 1 if name == launcher["head_node_type"] else node["min_workers"]
        for k, v in node["resources"].items():
            supply[k] = supply.get(k, 0) + count * v
    return supply


def rayjob_supply(job: dict) -> dict[str, float]:
    spec = job["spec"]["rayClusterSpec"]
    supply = {"CPU": float(spec["headGroupSpec"]["rayStartParams"]["num-cpus"])}
    for group in spec["workerGroupSpecs"]:
        limits = group["template"]["spec"]["containers"][0]["resources"]["limits"]
        params = group["rayStartParams"]
        per_node = {"CPU": float(limits["cpu"]), "GPU": float(params.get("num-gpus", 0))}
        if "resources" in params:  # KubeRay passes it to `ray start --resources`, quoted JSON
            per_node.update(json.loads(json.loads(params["resources"])))
        for k, v in per_node.items():
            supply[k] = supply.get(k, 0) + group["minReplicas"] * v
    return supply


def test_launcher_yaml_is_valid_for_ray_and_a_typo_is_caught():
    import jsonschema

    launcher = load(LAUNCHER)
    jsonschema.validate(launcher, ray_schema())
    broken = {**launcher, "availabe_node_types": launcher["available_node_types"]}
    del broken["available_node_types"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, ray_schema())
    for command in launcher["head_start_ray_commands"]:  # the dashboard never listens publicly
        if "ray start --head" in command:
            assert "--dashboard-host=127.0.0.1" in command


def test_rayjob_manifest_fields():
    job = load(RAYJOB)
    assert job["apiVersion"] == "ray.io/v1" and job["kind"] == "RayJob"
    spec = job["spec"]
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    pinned = re.search(r"ray\[[^\]]*\]==([\d.]+)", cfg["options"]["install_requires"]).group(1)
    assert spec["rayClusterSpec"]["rayVersion"] == pinned
    config_path = re.search(r"--config (\S+)", spec["entrypoint"]).group(1)
    assert os.path.exists(os.path.join(ROOT, config_path)) and spec["entrypoint"].startswith("python -m cluster.cli train")
    runtime_env = yaml.safe_load(spec["runtimeEnvYAML"])
    assert runtime_env["env_vars"]["HF_HUB_OFFLINE"] == "1"
    for group in spec["rayClusterSpec"]["workerGroupSpecs"]:
        limits = group["template"]["spec"]["containers"][0]["resources"]["limits"]
        assert float(limits.get("nvidia.com/gpu", 0)) == float(group["rayStartParams"].get("num-gpus", 0))
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]


LALM_CONFIGS = [os.path.join(ROOT, "configs", f"{name}.yaml") for name in ("qwen2_audio", "qwen2_5_omni")]


@pytest.mark.parametrize("config", [CONFIG] + LALM_CONFIGS, ids=os.path.basename)
@pytest.mark.parametrize("supply_of,path", [(launcher_supply, LAUNCHER), (rayjob_supply, RAYJOB)],
                         ids=["launcher", "rayjob"])
def test_the_2x8_gpu_configs_fit_the_nodes_defined(supply_of, path, config):
    cfg, supply = load(config), supply_of(load(path))
    need = demand(cfg)
    assert need["GPU"] == 16 and supply["GPU"] == 16  # 12 reasoner replicas + 4 learners, 2 x 8 GPUs
    assert fits(need, supply) == []
    # and the check can fail: one more reasoner replica does not fit
    cfg["pools"]["reasoner"]["replicas"] += 1
    assert fits(demand(cfg), supply) != []


def test_cluster_config_maps_to_rllib_and_the_pools():
    from cluster.pools import pool_settings
    from policy.ppo import build_ppo_config

    cfg = load(CONFIG)
    ppo = build_ppo_config(cfg)
    assert (ppo.num_learners, ppo.num_gpus_per_learner) == (4, 1)
    assert (ppo.num_env_runners, ppo.num_envs_per_env_runner) == (96, 4)
    assert ppo.restart_failed_env_runners
    settings = pool_settings(cfg)
    assert settings["reasoner"]["resources"] == {"reasoner_node": 1} and settings["reasoner"]["num_gpus"] == 1
    assert settings["tools"]["resources"] == {"tool_node": 1}


@pytest.mark.parametrize("config", LALM_CONFIGS, ids=os.path.basename)
def test_lalm_configs_name_a_real_backend_and_fail_clearly_without_the_weights(config):
    from env.reasoners.lalm import FAMILIES
    from env.reasoners import build_reasoner

    section = load(config)["reasoner"]
    assert section["backend"] == "transformers" and section["family"] in FAMILIES and section["dtype"] == "bfloat16"
    # every key is one the backend takes (a misspelt key would be a TypeError); only the weights are missing here
    with pytest.raises(FileNotFoundError, match=f"reasoner.model: folder {section['model']} does not exist"):
        build_reasoner(section)
