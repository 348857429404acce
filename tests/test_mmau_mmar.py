"""MMAU test-mini and MMAR files as released (small fixtures in their real schemas, audio the
test synthesizes): loaded as they are, results broken down the way their papers report, and
prediction files in the form their official evaluation.py reads."""
import json

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, EchoReasoner, silence, tone
from env.reasoner import CachedReasoner
from eval.benchmark import run_benchmark
from eval.runner import EvalSettings, Evaluator, format_table
from env.scoring import string_match
from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.pitch import PitchTool

PAIRS = [(440, 330), (300, 450), (500, 400), (520, 350), (260, 390), (610, 410)]
CHOICES = ["The second tone is higher", "The second tone is lower", "They are the same", "There is one tone"]


def clip(folder, name, f1, f2):
    sf.write(folder / name, np.concatenate([silence(0.2), tone(f1, 0.5), silence(0.3), tone(f2, 0.5)]), SR)


@pytest.fixture
def mmau(tmp_path):
    (tmp_path / "test-mini-audios").mkdir()
    items = []
    for k, (f1, f2) in enumerate(PAIRS):
        uid = f"6a1b2c3d-0000-4000-8000-00000000000{k}"
        clip(tmp_path / "test-mini-audios", f"{uid}.wav", f1, f2)
        items.append({"id": uid, "audio_id": f"./test-mini-audios/{uid}.wav",
                      "question": "Compare the pitch of the two tones.", "choices": CHOICES,
                      "answer": CHOICES[1] if f2 < f1 else CHOICES[0], "dataset": "synthetic-tones",
                      "task": ["sound", "music", "speech"][k % 3], "split": "test-mini",
                      "category": "Temporal Reasoning", "sub-category": "Pitch comparison",
                      "difficulty": ["easy", "medium", "hard"][k % 3]})
    (tmp_path / "mmau-test-mini.json").write_text(json.dumps(items, indent=1))
    return tmp_path / "mmau-test-mini.json", items


@pytest.fixture
def mmar(tmp_path):
    (tmp_path / "audio").mkdir()
    items = []
    for k, (f1, f2) in enumerate(PAIRS):
        clip(tmp_path / "audio", f"mmar_{k}.wav", f1, f2)
        items.append({"id": f"mmar_{k}", "audio_path": f"./audio/mmar_{k}.wav",
                      "question": "Compare the pitch of the two tones.", "choices": CHOICES,
                      "answer": CHOICES[1] if f2 < f1 else CHOICES[0],
                      "modality": ["sound", "music", "sound-music"][k % 3],
                      "category": ["Signal Layer", "Perception Layer"][k % 2], "sub-category": "Pitch",
                      "language": "en", "source": "synthetic", "url": "", "timestamp": ""})
    (tmp_path / "MMAR-meta.json").write_text(json.dumps(items, indent=1))
    return tmp_path / "MMAR-meta.json", items


def evaluator(tmp_path):
    executor = ToolExecutor([PitchTool()], ParquetCache(str(tmp_path / "cache" / "tools")))
    return Evaluator(executor, CachedReasoner(EchoReasoner(), ParquetCache(None)), EvalSettings(progress=False))


def check_prediction_files(results, items):
    """Every system's file holds the dataset's own entries plus model_prediction, and MMAU's
    string match over it gives the accuracy we report."""
    assert set(results["predictions"]) == set(results["systems"])
    for system, path in results["predictions"].items():
        entries = json.load(open(path))
        assert [e["id"] for e in entries] == [i["id"] for i in items]
        for entry, item in zip(entries, items):
            assert {k: v for k, v in entry.items() if k != "model_prediction"} == item
            assert entry["model_prediction"] in item["choices"]
        official = np.mean([string_match(e["answer"], e["model_prediction"], e["choices"]) for e in entries])
        assert official == pytest.approx(results["systems"][system]["accuracy"], abs=1e-4)


def test_mmau_file_as_released(tmp_path, mmau):
    path, items = mmau
    with pytest.raises(ValueError, match=r"no item has split 'test' \(splits present: \['test-mini'\]\)"):
        run_benchmark({}, str(path), ["none"], str(tmp_path / "x.json"), split="test",
                      evaluator=evaluator(tmp_path), progress=False)
    results = run_benchmark({}, str(path), ["none", "all"], str(tmp_path / "out" / "results.json"),
                            split="test-mini", evaluator=evaluator(tmp_path), progress=False)
    assert results["n_items"] == 6 and results["rejected"] == []
    s = results["systems"]
    # the stand-in reasoner answers the first choice ("higher") without evidence: right on 2 of 6
    assert s["all"]["accuracy"] == 1.0 and s["none"]["accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert set(s["all"]["per_task"]) == {"sound", "music", "speech"}
    assert set(s["all"]["per_difficulty"]) == {"easy", "medium", "hard"}
    assert "per_modality" not in s["all"]  # MMAU has none: no empty breakdown
    check_prediction_files(results, items)
    assert "| all | 100.0 | 100 | 100 | 100 | 1.00 |" in format_table(results)


def test_mmar_file_as_released(tmp_path, mmar):
    path, items = mmar
    results = run_benchmark({}, str(path), ["none", "all"], str(tmp_path / "out" / "results.json"), split="all",
                            evaluator=evaluator(tmp_path), progress=False)
    assert results["n_items"] == 6 and results["rejected"] == []
    s = results["systems"]["all"]
    assert s["per_modality"] == {"music": 1.0, "sound": 1.0, "sound-music": 1.0}
    assert s["per_category"] == {"Perception Layer": 1.0, "Signal Layer": 1.0}
    check_prediction_files(results, items)
    table = format_table(results)  # MMAR has no task: the table's columns are its modalities
    assert "| system | overall | music | sound | sound-music | calls/item |" in table


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
    assert artifacts == {"results.predictions/all.json"}
