"""MMAU test-mini, MMAU test and MMAR files as released (small fixtures in their real schemas
with their quirks, audio the test synthesizes): loaded as they are, every item scored, results
broken down the way their papers report, and prediction files that the official scorers
(tests/official_scorers.py) read and score to our accuracy."""
import json
import os

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, EchoReasoner, silence, tone
from env.reasoners import CachedReasoner
from eval.benchmark import run_benchmark
from eval.runner import EvalSettings, Evaluator, format_table
from env.scoring import string_match
from official_scorers import mmar_evaluate, mmau_evaluate, official_string_match
from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.pitch import PitchTool

PAIRS = [(440, 330), (300, 450), (500, 400), (520, 350), (260, 390), (610, 410)]
CHOICES = ["The second tone is higher", "The second tone is lower", "They are the same", "There is one tone"]


def clip(folder, name, f1, f2):
    sf.write(folder / name, np.concatenate([silence(0.2), tone(f1, 0.5), silence(0.3), tone(f2, 0.5)]), SR)


@pytest.fixture
def mmau(tmp_path):
    """MMAU test-mini as released, with its quirks: a repeated choice among five, a two-choice
    item; its audio folder a link to shared storage (a usual layout)."""
    storage = tmp_path / "storage" / "mmau-audio"
    storage.mkdir(parents=True)
    folder = tmp_path / "mmau"
    folder.mkdir()
    os.symlink(storage, folder / "test-mini-audios")
    items = []
    for k, (f1, f2) in enumerate(PAIRS):
        uid = f"6a1b2c3d-0000-4000-8000-00000000000{k}"
        clip(storage, f"{uid}.wav", f1, f2)
        choices = list(CHOICES)
        if k == 4:
            choices = CHOICES + [CHOICES[0]]  # 27 real items repeat a choice
        if k == 5:
            choices = CHOICES[:2]
        items.append({"id": uid, "audio_id": f"./test-mini-audios/{uid}.wav",
                      "question": "Compare the pitch of the two tones.", "choices": choices,
                      "answer": CHOICES[1] if f2 < f1 else CHOICES[0], "dataset": "synthetic-tones",
                      "task": ["sound", "music", "speech"][k % 3], "split": "test-mini",
                      "category": "Temporal Reasoning", "sub-category": "Pitch comparison",
                      "difficulty": ["easy", "medium", "hard"][k % 3]})
    (folder / "mmau-test-mini.json").write_text(json.dumps(items, indent=1))
    return folder / "mmau-test-mini.json", items


@pytest.fixture
def mmar(tmp_path):
    """MMAR as released: JSON Lines, the Rubrics fields, languages (null among them), an empty
    choice on one item."""
    (tmp_path / "audio").mkdir()
    items = []
    for k, (f1, f2) in enumerate(PAIRS):
        clip(tmp_path / "audio", f"mmar_{k}.wav", f1, f2)
        items.append({"id": f"mmar_{k}", "audio_path": f"./audio/mmar_{k}.wav",
                      "question": "Compare the pitch of the two tones.",
                      "choices": CHOICES + [""] if k == 2 else CHOICES,
                      "answer": CHOICES[1] if f2 < f1 else CHOICES[0],
                      "modality": ["sound", "music", "sound-music"][k % 3],
                      "category": ["Signal Layer", "Perception Layer"][k % 2], "sub-category": "Pitch",
                      "language": ["en", None, "zh"][k % 3], "source": "synthetic", "url": "", "timestamp": "",
                      "thinking": "Listen to both tones.", "cue": "pitch", "rubric": ["names the direction"]})
    (tmp_path / "MMAR-meta.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    return tmp_path / "MMAR-meta.jsonl", items


def evaluator(tmp_path):
    executor = ToolExecutor([PitchTool()], ParquetCache(str(tmp_path / "cache" / "tools")))
    return Evaluator(executor, CachedReasoner(EchoReasoner(), ParquetCache(None)), EvalSettings(progress=False))


def check_prediction_files(results, items, keys, official):
    """Every system's file holds the manifest's own entries, in the released order, plus the
    official scorer's keys; that scorer, reading it as it reads a user's file, gets the accuracy
    we report over the same number of items."""
    assert set(results["predictions"]) == set(results["systems"])
    for system, path in results["predictions"].items():
        entries = ([json.loads(line) for line in open(path)] if path.endswith(".jsonl") else json.load(open(path)))
        assert [e["id"] for e in entries] == [i["id"] for i in items]
        for entry, item in zip(entries, items):
            assert {k: v for k, v in entry.items() if k not in keys} == item and set(keys) <= set(entry)
            assert entry[keys[0]] in item["choices"] and entry[keys[0]].strip()
        accuracy, n, line = official(path)
        assert n == results["n_items"] == len(items)
        assert accuracy / 100 == pytest.approx(results["systems"][system]["accuracy"], abs=1e-4)
        assert line.startswith("Total Accuracy:") and line.endswith(f"over {len(items)} samples")


def test_mmau_file_as_released(tmp_path, mmau):
    path, items = mmau
    with pytest.raises(ValueError, match=r"no item has split 'test' \(splits present: \['test-mini'\]\)"):
        run_benchmark({}, str(path), ["none"], str(tmp_path / "x.json"), split="test",
                      evaluator=evaluator(tmp_path), progress=False)
    # the default split: the file's only one
    results = run_benchmark({}, str(path), ["none", "all"], str(tmp_path / "out" / "results.json"),
                            evaluator=evaluator(tmp_path), progress=False)
    assert results["n_items"] == 6 and results["rejected"] == [] and results["split"] is None
    s = results["systems"]
    # the stand-in reasoner answers the first choice ("higher") without evidence: right on 2 of 6
    assert s["all"]["accuracy"] == 1.0 and s["none"]["accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert set(s["all"]["per_task"]) == {"sound", "music", "speech"}
    assert set(s["all"]["per_difficulty"]) == {"easy", "medium", "hard"}
    assert "per_modality" not in s["all"]  # MMAU has none: no empty breakdown
    check_prediction_files(results, items, ("model_output", "model_prediction"), mmau_evaluate)
    assert results["predictions"]["all"].endswith("results.predictions/all.json")
    assert "| all | 100.0 | 100 | 100 | 100 | 1.00 |" in format_table(results)


def test_mmau_scorer_rules(tmp_path, mmau):
    """The scorer skips entries without `model_output` and divides by zero when none has it:
    why we write `model_output`, and not only the `model_prediction` its README names."""
    path, items = mmau
    results = run_benchmark({}, str(path), ["all"], str(tmp_path / "out" / "results.json"),
                            evaluator=evaluator(tmp_path), progress=False)
    entries = json.load(open(results["predictions"]["all"]))
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps([{k: v for k, v in e.items() if k != "model_output"} for e in entries]))
    with pytest.raises(ZeroDivisionError):
        mmau_evaluate(str(legacy))
    legacy.write_text(json.dumps([{k: v for k, v in e.items() if k != "model_output" or n % 2} for n, e in
                                  enumerate(entries)]))
    assert mmau_evaluate(str(legacy))[1] == 3


def test_mmau_audio_root(tmp_path, mmau):
    """The manifest alone in one folder, the audio in another: `data.audio_root`."""
    path, items = mmau
    alone = tmp_path / "manifest-only"
    alone.mkdir()
    (alone / "mmau-test-mini.json").write_text(path.read_text())
    results = run_benchmark({"data": {"audio_root": str(path.parent)}}, str(alone / "mmau-test-mini.json"), ["all"],
                            str(tmp_path / "out2" / "results.json"), evaluator=evaluator(tmp_path), progress=False)
    assert results["n_items"] == 6 and results["rejected"] == []
    without = run_benchmark({"max_bad_fraction": 1.0}, str(alone / "mmau-test-mini.json"), ["all"],
                            str(tmp_path / "out3" / "results.json"), evaluator=evaluator(tmp_path), progress=False)
    assert without["n_items"] == 0 and all("file not found" in r["reason"] for r in without["rejected"])


def test_mmau_test_answers_withheld(tmp_path, mmau):
    """MMAU test withholds answers: eval runs, writes the prediction file, reports no accuracy;
    the oracle (which needs answers) and single-best (no training split) are skipped, each
    with its reason."""
    path, items = mmau
    withheld = [{k: v for k, v in i.items() if k != "answer"} | {"split": "test"} for i in items]
    test_file = path.parent / "mmau-test.json"
    test_file.write_text(json.dumps(withheld))
    results = run_benchmark({}, str(test_file), ["none", "all", "single-best", "oracle"],
                            str(tmp_path / "out" / "results.json"), evaluator=evaluator(tmp_path), progress=False)
    assert results["answers_withheld"] and results["n_items"] == 6
    assert set(results["skipped"]) == {"oracle", "single-best"}
    assert "withholds" in results["skipped"]["oracle"] and "'train'" in results["skipped"]["single-best"]
    assert results["systems"]["all"]["accuracy"] is None and results["systems"]["all"]["n_scored"] == 0
    entries = json.load(open(results["predictions"]["all"]))
    assert [e["id"] for e in entries] == [i["id"] for i in withheld]
    assert all(e["model_output"] in e["choices"] for e in entries)
    assert "| all | - |" in format_table(results)


def test_mmar_file_as_released(tmp_path, mmar):
    path, items = mmar
    results = run_benchmark({}, str(path), ["none", "all"], str(tmp_path / "out" / "results.json"), split="all",
                            evaluator=evaluator(tmp_path), progress=False)
    assert results["n_items"] == 6 and results["rejected"] == []
    s = results["systems"]["all"]
    assert s["per_modality"] == {"music": 1.0, "sound": 1.0, "sound-music": 1.0}
    assert s["per_category"] == {"Perception Layer": 1.0, "Signal Layer": 1.0}
    check_prediction_files(results, items, ("answer_prediction", "thinking_prediction"), mmar_evaluate)
    assert results["predictions"]["all"].endswith("all.jsonl")  # JSON Lines in, JSON Lines out
    first = json.loads(open(results["predictions"]["all"]).readline())
    assert first["thinking_prediction"].startswith("Tools called, in order: pitch.\npitch: ")
    assert first["thinking_prediction"].endswith(f"Answer: {first['answer_prediction']}")
    table = format_table(results)  # MMAR has no task: the table's columns are its modalities
    assert "| system | overall | music | sound | sound-music | calls/item |" in table
    # the same entries as one JSON list score the same; the scorer tells the two by extension
    listed = tmp_path / "MMAR-meta.json"
    listed.write_text(json.dumps(items))
    again = run_benchmark({}, str(listed), ["all"], str(tmp_path / "out2" / "results.json"),
                          evaluator=evaluator(tmp_path), progress=False)
    assert again["predictions"]["all"].endswith("all.json") and mmar_evaluate(again["predictions"]["all"])[:2] == (
        100.0, 6)


def test_string_match_agrees_with_the_official_rule():
    """env/scoring.py's string match against the scorer's, on the released quirks: repeated
    choices, an empty choice, choices that share words, case and punctuation."""
    cases = [("one", ["one", "zero", "one", "three"]), ("Entered", ["Entered", "Did not enter", ""]),
             ("Did not enter", ["Entered", "Did not enter", ""]), ("a dog", ["a dog", "a dog barking", "a cat"]),
             ("a dog barking", ["a dog", "a dog barking", "a cat"]), ("Yes.", ["yes", "Yes.", "No"])]
    for answer, choices in cases:
        for prediction in [*choices, "", "one zero", "a dog, a cat", "YES"]:
            assert string_match(answer, prediction, choices) == official_string_match(answer, prediction, choices), \
                (answer, prediction, choices)


def test_mmar_breakdowns_reach_mlflow(tmp_path, mmar):
    import mlflow

    from eval.tracking import log_eval, start_run

    path, _ = mmar
    out = str(tmp_path / "out" / "results.json")
    results = run_benchmark({}, str(path), ["all"], out, split="all", evaluator=evaluator(tmp_path), progress=False)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with start_run(uri, "mmar", "eval") as run:
        log_eval(results, out, {"data": str(path)})
    client = mlflow.MlflowClient(tracking_uri=uri)
    metrics = client.get_run(run.info.run_id).data.metrics
    assert metrics["accuracy_by_modality/all/sound-music"] == 1.0
    assert metrics["accuracy_by_category/all/Signal Layer"] == 1.0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "results.predictions")}
    assert artifacts == {"results.predictions/all.jsonl"}
