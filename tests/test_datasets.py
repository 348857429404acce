import json
import os

import pytest

from eval.datasets import load_items


def write_items(tmp_path, items, audio_names=("a.wav",)):
    (tmp_path / "audio").mkdir(exist_ok=True)
    for name in audio_names:
        (tmp_path / "audio" / name).write_bytes(b"RIFF")
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items))
    return str(tmp_path)


def item(**kw):
    base = {"id": "x1", "audio_id": "./audio/a.wav", "question": "Q?", "choices": ["a", "b"], "answer": "a",
            "task": "t", "split": "test"}
    base.update(kw)
    return base


def test_loads_mmau_schema(tmp_path):
    folder = write_items(tmp_path, [item(), item(id="x2", split="train")])
    items, rejected = load_items(folder)
    assert [i.id for i in items] == ["x1", "x2"] and rejected == []
    assert items[0].audio == os.path.realpath(tmp_path / "audio" / "a.wav")
    assert [i.id for i in load_items(folder, split="train")[0]] == ["x2"]


@pytest.mark.parametrize("bad,reason", [
    (item(answer="c"), "answer 'c' is not among the choices"),
    (item(choices=["a"], answer="a"), "at least 2 choices"),
    ({"id": "x1", "audio_id": "./audio/a.wav", "choices": ["a", "b"], "answer": "a"}, "missing field(s) question"),
    (item(audio_id="../outside.wav"), "escapes the dataset folder"),
    (item(audio_id="/etc/passwd"), "is absolute"),
    (item(choices=["a", "a"]), "duplicate choices"),
    (item(choices="a|b"), "choices must be a list"),
])
def test_rejects_bad_items_with_reason(tmp_path, bad, reason):
    folder = write_items(tmp_path, [bad, item(id="ok")])
    items, rejected = load_items(folder)
    assert [i.id for i in items] == ["ok"]  # the rest of the run goes on
    assert len(rejected) == 1 and reason in rejected[0]["reason"]
    assert "items.json" in rejected[0]["reason"] and rejected[0]["id"] == "x1"


def test_duplicate_ids_rejected(tmp_path):
    items, rejected = load_items(write_items(tmp_path, [item(), item()]))
    assert len(items) == 1 and "duplicate id" in rejected[0]["reason"]


def test_symlink_escaping_root_refused(tmp_path):
    outside = tmp_path.parent / "outside_secret.wav"
    outside.write_bytes(b"x")
    folder = tmp_path / "ds"
    folder.mkdir()
    os.symlink(outside, folder / "link.wav")
    (folder / "items.json").write_text(json.dumps([item(audio_id="link.wav")]))
    items, rejected = load_items(str(folder))
    assert items == [] and "escapes" in rejected[0]["reason"]


def test_malformed_json_is_a_clear_error(tmp_path):
    (tmp_path / "items.json").write_text("[{not json")
    with pytest.raises(ValueError, match="not valid UTF-8 JSON"):
        load_items(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no such dataset"):
        load_items(str(tmp_path / "nope"))


def test_split_filter_that_matches_nothing_is_an_error(tmp_path):
    folder = write_items(tmp_path, [item(split="test-mini")])
    with pytest.raises(ValueError, match=r"no item has split 'test' \(splits present: \['test-mini'\]\)"):
        load_items(folder, split="test")
    assert len(load_items(folder, split=None)[0]) == 1
