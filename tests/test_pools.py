"""Tool workers: the in-process pool and a pool of Ray actors fill the same cache entries."""
import json
import os
import tempfile

import pytest

from cluster.pools import ToolPool
from env.items import load_items
from eval.probe import generate
from tools.cache import ParquetCache

SPECS = [{"name": "duration"}, {"name": "loudness"}, {"name": "events"}]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    generate(str(folder), 12, seed=3, progress=False)
    items, _ = load_items(str(folder))
    return [(i.audio, i.question, i.choices) for i in items]


def cached_texts(cache_dir):
    cache = ParquetCache(os.path.join(cache_dir, "tools"))
    return {k: json.loads(v)["text"] for k, v in cache._data.items()}


def test_local_pool_fills_the_cache_and_counts(clips, tmp_path):
    pool = ToolPool(SPECS, str(tmp_path), replicas=0)
    counts = pool.warm(clips + [("/nonexistent.wav", "q", ["a", "b"])], chunk=5, progress=False)
    assert counts == {"clips": len(clips), "bad_audio": 1, "tool_errors": 0}
    assert len(cached_texts(str(tmp_path))) == len(clips) * len(SPECS)
    with pytest.raises(ValueError):
        ToolPool(SPECS, str(tmp_path), replicas=-1)


@pytest.mark.slow
def test_ray_pool_gives_the_same_cache_as_in_process(clips, tmp_path, monkeypatch):
    import ray

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    local_dir, ray_dir = str(tmp_path / "local"), str(tmp_path / "ray")
    ToolPool(SPECS, local_dir, replicas=0).warm(clips, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # socket paths stay short
    try:
        pool = ToolPool(SPECS, ray_dir, replicas=2)
        counts = pool.warm(clips, chunk=2, progress=False)
        pool.shutdown()
    finally:
        ray.shutdown()
    assert counts["clips"] == len(clips)
    assert cached_texts(ray_dir) == cached_texts(local_dir)
    # each worker wrote its own shards; no temporary file left behind
    assert not [f for f in os.listdir(os.path.join(ray_dir, "tools")) if f.endswith(".tmp")]


def test_cache_warm_command(clips, tmp_path, capfd):
    from cluster.cli import main

    folder = os.path.dirname(os.path.dirname(clips[0][0]))  # the probe folder (audio/ is below it)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps({"tools": SPECS, "cache_dir": str(tmp_path / "cache")}))  # JSON is YAML
    assert main(["cache", "warm", "--config", str(cfg), "--data", folder, "--tools", "duration,nope",
                 "--local", "--quiet"]) == 2
    assert "nope" in capfd.readouterr().err
    assert main(["cache", "warm", "--config", str(cfg), "--data", folder, "--tools", "duration",
                 "--local", "--quiet"]) == 0
    assert f"{len(clips)} clips, 0 rejected" in capfd.readouterr().out
    assert len(cached_texts(str(tmp_path / "cache"))) == len(clips)
