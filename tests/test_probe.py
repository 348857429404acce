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


def test_v1_generator_is_unchanged(tmp_path):
    """v2 shares v1's signal code (eval/probe_signals.py); v1's files must stay byte-identical
    (this digest was taken from the generator before v2 existed)."""
    generate(str(tmp_path), 20, seed=3, progress=False, version=1)
    assert digest(tmp_path) == "93f8887e537e6488ec392734c9f8aa41044bf440989fff55ec7ea304d81d8855"


def test_probe_v2_families_forms_and_determinism(tmp_path):
    from eval.probe_v2 import FAMILIES

    n = 6 * len(FAMILIES)
    items = generate(str(tmp_path / "a"), n, seed=5, progress=False, version=2)
    generate(str(tmp_path / "b"), n, seed=5, progress=False, version=2)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert len(FAMILIES) >= 14 and {i["task"] for i in items} == set(FAMILIES)
    by_family = {f: [i for i in items if i["task"] == f] for f in FAMILIES}
    for family, group in by_family.items():
        assert {i["expert_tool"] for i in group} and all(i["expert_tool"] for i in group)
        assert len({i["question"] for i in group}) > 1, family  # wording varies within a family
    for item in items:
        assert item["answer"] in item["choices"] and len(set(item["choices"])) == len(item["choices"])
        assert item["form"] in ("choice", "yesno") and item["signal"] and item["background"]
        if item["form"] == "yesno":
            assert sorted(item["choices"]) == ["no", "yes"]
    assert {i["form"] for i in items} == {"choice", "yesno"}
    assert {i["answer"] for i in items if i["form"] == "yesno"} == {"yes", "no"}
    assert len({i["signal"] for i in items}) >= 8  # tones of three timbres, beats, music, speech, babble, noise
    assert max(i["seconds"] for i in items) > 10 and min(i["seconds"] for i in items) < 3
    loaded, rejected = load_items(str(tmp_path / "a"))
    assert len(loaded) == n and rejected == []


def test_yes_no_forms_cover_every_family_over_a_larger_draw():
    """Every family asks some questions as yes/no (a third of its items): checked on the item
    dicts alone, without writing audio, over 20 items per family."""
    from eval.probe_v2 import FAMILIES

    import numpy as np

    seen = set()
    for k, (family, make) in enumerate(FAMILIES.items()):
        for index in range(20):
            q = make(np.random.default_rng([7, k, index]))
            if q.form == "yesno":
                seen.add(family)
    assert seen == set(FAMILIES)


def test_holdout_families_leave_train_and_validation(tmp_path):
    import pytest

    items = generate(str(tmp_path), 28, seed=1, progress=False, version=2, holdout_families=["gap", "speakers"])
    held = [i for i in items if i["split"] == "holdout"]
    assert held and {i["task"] for i in held} == {"gap", "speakers"}
    assert all(i["task"] not in ("gap", "speakers") for i in items if i["split"] != "holdout")
    assert all(i["family_split"] == split_of(i["id"]) for i in held)
    train, _ = load_items(str(tmp_path), split="train")
    assert train and all(i.task not in ("gap", "speakers") for i in train)
    with pytest.raises(ValueError, match="unknown family"):
        generate(str(tmp_path / "x"), 2, seed=1, progress=False, version=2, holdout_families=["nope"])
    with pytest.raises(ValueError, match="version 2"):
        generate(str(tmp_path / "y"), 2, seed=1, progress=False, version=1, holdout_signals=["kick_hat"])


def test_ensure_probe_regenerates_when_the_config_changes(tmp_path):
    from eval.probe import ensure_probe

    data = {"out": str(tmp_path), "n": 14, "seed": 0, "version": 2}
    ensure_probe(data, progress=False)
    first = digest(tmp_path)
    ensure_probe(data, progress=False)  # same arguments: kept
    assert digest(tmp_path) == first
    ensure_probe({**data, "holdout_families": ["gap"]}, progress=False)
    assert {i["split"] for i in json.load(open(tmp_path / "items.json")) if i["task"] == "gap"} == {"holdout"}
