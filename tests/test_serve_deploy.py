"""cluster/deploy/serve.yaml against Ray Serve's own config schema, and against what it deploys:
the builder it names, the deployments the builder makes, the config it passes, the cluster's nodes."""
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVE_YAML = os.path.join(ROOT, "cluster", "deploy", "serve.yaml")


def serve_yaml():
    with open(SERVE_YAML) as f:
        return yaml.safe_load(f)


def unknown_keys(data, model, where="") -> list[str]:
    """Keys the schema's models do not declare, anywhere in `data` (Ray's models accept and drop
    unknown keys, so a misspelt one would pass validation silently)."""
    import typing

    from pydantic import BaseModel

    if isinstance(data, list):
        return [k for i, d in enumerate(data) for k in unknown_keys(d, model, f"{where}[{i}]")]
    if not isinstance(data, dict):
        return []
    out = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            out.append(f"{where}.{key}".lstrip("."))
            continue
        inner = [a for t in (field.annotation, *typing.get_args(field.annotation))
                 for a in (t, *typing.get_args(t)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner and key not in ("args", "runtime_env", "resources", "env_vars"):
            out += unknown_keys(value, inner[0], f"{where}.{key}")
    return out


def test_serve_yaml_validates_against_ray_serves_schema():
    from ray.serve.schema import ServeDeploySchema

    schema = ServeDeploySchema.model_validate(serve_yaml())
    [app] = schema.applications
    assert app.import_path == "cluster.serve:build_app" and app.route_prefix == "/"
    assert schema.http_options.host == "127.0.0.1"  # never a public bind by default
    assert unknown_keys(serve_yaml(), ServeDeploySchema) == []
    # both checks have teeth: a wrong type is refused by Ray's schema, a misspelt key by ours
    bad = serve_yaml()
    bad["applications"][0]["deployments"][0]["num_replicas"] = "many"
    with pytest.raises(Exception, match="num_replicas"):
        ServeDeploySchema.model_validate(bad)
    bad = serve_yaml()
    bad["applications"][0]["deployments"][1]["ray_actor_options"]["num_cpuss"] = 2
    bad["http_optionz"] = {}
    assert sorted(unknown_keys(bad, ServeDeploySchema)) == ["applications[0].deployments[1].ray_actor_options.num_cpuss",
                                                          "http_optionz"]


def test_serve_yaml_names_our_builder_deployments_and_config():
    import importlib

    from cluster.config import load_config
    from cluster.serve import DEPLOYMENTS

    [app] = serve_yaml()["applications"]
    module, attr = app["import_path"].split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    assert set(app["args"]) <= {"router", "config", "set"}
    assert {d["name"] for d in app["deployments"]} == set(DEPLOYMENTS)
    cfg = load_config(os.path.join(ROOT, app["args"]["config"]))
    deps = {d["name"]: d for d in app["deployments"]}
    # the YAML's replicas are the config's pools, so `audiorouter serve` and `serve deploy` agree
    assert deps["Tools"]["num_replicas"] == cfg["pools"]["tools"]["replicas"]
    assert deps["Reasoner"]["num_replicas"] == cfg["pools"]["reasoner"]["replicas"]
    assert deps["Reasoner"]["ray_actor_options"]["num_gpus"] == cfg["pools"]["reasoner"]["num_gpus"]


def test_serve_yaml_fits_the_cluster_nodes():
    """Reasoner replicas on reasoner_node GPUs, tools on tool_node CPUs, as aws-gpu-cluster.yaml defines them."""
    with open(os.path.join(ROOT, "cluster", "deploy", "aws-gpu-cluster.yaml")) as f:
        launcher = yaml.safe_load(f)
    have: dict[str, float] = {}
    for node in launcher["available_node_types"].values():
        n = node.get("max_workers", node.get("min_workers", 1)) or 1
        for key, value in node.get("resources", {}).items():
            have[key] = have.get(key, 0) + n * value
    need: dict[str, float] = {}
    for d in serve_yaml()["applications"][0]["deployments"]:
        opts = d.get("ray_actor_options", {})
        for key, value in {"CPU": opts.get("num_cpus", 1), "GPU": opts.get("num_gpus", 0),
                           **opts.get("resources", {})}.items():
            need[key] = need.get(key, 0) + d["num_replicas"] * value
    for key in ("GPU", "reasoner_node", "tool_node"):
        assert need[key] <= have[key], (key, need[key], have[key])
