import json
import os

import pytest

from eval.datasets import AudioPaths, load_items, resolve_split


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
    assert items[0].audio == os.path.abspath(tmp_path / "audio" / "a.wav")
    assert [i.id for i in load_items(folder, split="train")[0]] == ["x2"]


@pytest.mark.parametrize("bad,reason", [
    (item(answer="c"), "answer 'c' is not among the choices"),
    (item(choices=["a"], answer="a"), "at least 2 choices"),
    ({"id": "x1", "audio_id": "./audio/a.wav", "choices": ["a", "b"], "answer": "a"}, "missing field(s) question"),
    (item(audio_id="../outside.wav"), "escapes the dataset folder"),
    (item(audio_id="/etc/passwd"), "is absolute and outside data.allowed_roots"),
    (item(audio_id="audio/../../outside.wav"), "escapes the dataset folder"),
    (item(choices=["a", "a"]), "needs at least 2 choices, has 1 distinct"),
    (item(choices=["a", "", "  "]), "needs at least 2 choices, has 1 distinct"),
    (item(choices="a|b"), "choices must be a list"),
    (item(choices=["a", 3]), "choices must be a list of strings"),
    (item(answer=""), "is not among the choices"),
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


def test_links_the_user_placed_are_followed(tmp_path):
    """Audio kept elsewhere and linked in (a linked folder, or a link per file) is the user's own
    layout: the lexical check passes it, and the file read is the link's target."""
    storage = tmp_path / "shared-storage"
    storage.mkdir()
    (storage / "a.wav").write_bytes(b"RIFF")
    folder = tmp_path / "ds"
    folder.mkdir()
    os.symlink(storage, folder / "audios")
    os.symlink(storage / "a.wav", folder / "link.wav")
    (folder / "items.json").write_text(json.dumps([item(audio_id="./audios/a.wav"), item(id="x2", audio_id="link.wav")]))
    items, rejected = load_items(str(folder))
    assert rejected == [] and [i.id for i in items] == ["x1", "x2"]
    assert all(os.path.realpath(i.audio) == str(storage / "a.wav") for i in items)


def test_audio_root_and_allowed_roots(tmp_path):
    storage = tmp_path / "storage"
    storage.mkdir()
    (storage / "a.wav").write_bytes(b"RIFF")
    manifest = tmp_path / "meta"
    manifest.mkdir()
    (manifest / "items.json").write_text(json.dumps([item(audio_id="a.wav"), item(id="abs", audio_id=str(storage / "a.wav")),
                                                     item(id="up", audio_id="../meta/items.json")]))
    items, rejected = load_items(str(manifest), paths=AudioPaths(audio_root=str(storage)))
    assert [i.id for i in items] == ["x1"] and items[0].audio == str(storage / "a.wav")
    assert {r["id"]: r["reason"].split(": ", 1)[1] for r in rejected} == {
        "abs": f"audio path {str(storage / 'a.wav')!r} is absolute and outside data.allowed_roots (none set); write "
               "paths relative to the audio folder, or list the folder in data.allowed_roots",
        "up": f"audio path '../meta/items.json' escapes the dataset folder {storage}"}
    items, rejected = load_items(str(manifest), paths=AudioPaths(str(storage), (str(storage),)))
    assert [i.id for i in items] == ["x1", "abs"] and len(rejected) == 1
    # a path that climbs out of an allowed root lexically is still outside it
    (manifest / "items.json").write_text(json.dumps([item(audio_id=str(storage / ".." / "meta" / "items.json"))]))
    _, rejected = load_items(str(manifest), paths=AudioPaths(None, (str(storage),)))
    assert "is absolute and outside" in rejected[0]["reason"]


def test_audio_paths_from_config():
    assert AudioPaths.from_config({}) == AudioPaths()
    assert AudioPaths.from_config({"data": {"audio_root": "/a", "allowed_roots": ["/b"]}}) == AudioPaths("/a", ("/b",))
    with pytest.raises(ValueError, match="data.allowed_roots: expected a list"):
        AudioPaths.from_config({"data": {"allowed_roots": "/b"}})


def test_released_quirks_are_scored(tmp_path):
    """A repeated choice is offered once, an empty one never; the choices as released stay for
    scoring; an answer written with other spacing or case names its choice."""
    folder = write_items(tmp_path, [item(choices=["one", "zero", "one", "three"], answer="one"),
                                    item(id="x2", choices=["Entered", "Did not enter", ""], answer="Entered"),
                                    item(id="x3", choices=["Yes", "No"], answer=" yes"),
                                    item(id="x4", choices=["a", "b"])])
    items, rejected = load_items(folder)
    assert rejected == []
    repeated, empty, spaced, plain = items
    assert repeated.choices == ("one", "zero", "three") and repeated.scored_choices == ("one", "zero", "one", "three")
    assert empty.choices == ("Entered", "Did not enter") and empty.scored_choices == ("Entered", "Did not enter", "")
    assert spaced.answer == "Yes"
    assert plain.released_choices == () and plain.scored_choices == ("a", "b")


def test_answers_withheld(tmp_path):
    entry = item()
    del entry["answer"]
    items, rejected = load_items(write_items(tmp_path, [entry]))
    assert rejected == [] and items[0].answer is None


def test_json_lines_by_content(tmp_path):
    """MMAR ships JSON Lines; told apart by content, whatever the extension. A line that does not
    parse is one rejection naming the file and the line."""
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "a.wav").write_bytes(b"RIFF")
    lines = [json.dumps(item(id="l1")), "", json.dumps(item(id="l2")), "{not json", json.dumps(item(id="l3"))]
    for name in ("meta.jsonl", "meta.json"):
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        items, rejected = load_items(str(tmp_path / name))
        assert [i.id for i in items] == ["l1", "l2", "l3"]
        assert len(rejected) == 1 and rejected[0]["id"] == "line 4"
        assert rejected[0]["reason"].startswith(f"{tmp_path / name} line 4 item line 4: not valid UTF-8 JSON")
    (tmp_path / "one.jsonl").write_text(json.dumps(item(id="only")))  # one line: one object
    assert [i.id for i in load_items(str(tmp_path / "one.jsonl"))[0]] == ["only"]


def test_auto_split(tmp_path):
    """auto: the file's only split (MMAU test-mini), or every item when none is named; else test."""
    folder = write_items(tmp_path, [item(split="test-mini"), item(id="x2", split="test-mini")])
    assert resolve_split(folder, "auto") is None and len(load_items(folder, split="auto")[0]) == 2
    folder = write_items(tmp_path, [item(split="train"), item(id="x2", split="test")])
    assert resolve_split(folder, "auto") == "test"
    assert [i.id for i in load_items(folder, split="auto")[0]] == ["x2"]
    assert resolve_split(folder, "all") is None and resolve_split(folder, "train") == "train"


def test_unused_split_is_the_training_items_after_max_items(tmp_path):
    """`unused`: the items of train.env.split that training leaves out, in file order, counted as
    make_env counts them (answered items only); a config without max_items has none to give."""
    from eval.benchmark import split_items

    rows = [item(id=f"t{k}", split="train") for k in range(5)] + [item(id="v0", split="validation")]
    rows[1]["answer"] = None  # answer withheld: training skips it, so it is not among the first two
    folder = write_items(tmp_path, rows)
    paths = AudioPaths()
    cfg = {"train": {"env": {"max_items": 2}}}
    assert [i.id for i in split_items(cfg, folder, "unused", paths)[0]] == ["t3", "t4"]
    assert [i.id for i in split_items(cfg, folder, "validation", paths)[0]] == ["v0"]
    with pytest.raises(ValueError, match="sets no max_items"):
        split_items({"train": {"env": {}}}, folder, "unused", paths)
    with pytest.raises(ValueError, match="none after the 4 training uses"):
        split_items({"train": {"env": {"max_items": 4}}}, folder, "unused", paths)


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
