import hashlib
import json
import os

from eval.datasets import load_items
from eval.probe import TASKS, generate, split_of


def digest(folder):
    h = hashlib.sha256(open(os.path.join(folder, "items.json"), "rb").read())
    for name in sorted(os.listdir(os.path.join(folder, "audio"))):
        h.update(open(os.path.join(folder, "audio", name), "rb").read())
    return h.hexdigest()


def test_probe_is_deterministic_and_in_mmau_schema(tmp_path):
    n = 2 * len(TASKS)
    items = generate(str(tmp_path / "a"), n, seed=3, progress=False)
    generate(str(tmp_path / "b"), n, seed=3, progress=False)
    generate(str(tmp_path / "c"), n, seed=4, progress=False)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert len(TASKS) >= 8 and {i["task"] for i in items} == set(TASKS)
    for item in items:
        for key in ("id", "audio_id", "question", "choices", "answer", "task", "category", "sub-category",
                    "difficulty", "split", "expert_tool"):
            assert key in item
        assert item["answer"] in item["choices"] and len(set(item["choices"])) == len(item["choices"])
        assert item["split"] == split_of(item["id"])
    loaded, rejected = load_items(str(tmp_path / "a"))
    assert len(loaded) == n and rejected == []


def test_choice_order_and_wording_vary(tmp_path):
    items = generate(str(tmp_path), 6 * len(TASKS), seed=0, progress=False)
    pitch = [i for i in items if i["task"] == "pitch_compare"]
    assert len({tuple(i["choices"]) for i in pitch}) > 1 or len({i["answer"] for i in pitch}) > 1
    assert len({i["question"] for i in items if i["task"] == "count"}) > 1
    assert len({i["difficulty"] for i in items}) > 1


def test_split_is_a_stable_function_of_id():
    ids = [f"probe-s0-{i:05d}" for i in range(2000)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    share = {s: splits.count(s) / len(ids) for s in ("train", "validation", "test")}
    assert 0.55 < share["train"] < 0.65 and 0.15 < share["test"] < 0.25
