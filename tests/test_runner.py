"""The benchmark runner's logic, with a transparent stand-in reasoner (the real one is in test_reasoner.py)."""
import json

import numpy as np
import pytest

from conftest import EchoReasoner, silence, tone
from env.admission import TooManyBadItems
from env.reasoners import CachedReasoner
from eval.systems import oracle_candidates, parse_systems, route_random
from eval.benchmark import run_benchmark
from eval.datasets import load_items
from eval.runner import EvalSettings, Evaluator, format_table
from tools.base import BaseTool
from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.pitch import PitchTool


class Exploding(BaseTool):
    name = "exploding"
    cost = 0.1

    def analyze(self, audio, question, choices):
        raise RuntimeError("tool crashed")


@pytest.fixture
def dataset(tmp_path):
    import soundfile as sf
    (tmp_path / "audio").mkdir()
    items = []
    for i, (f1, f2) in enumerate([(440, 330), (300, 450), (500, 400), (520, 350)]):
        sf.write(tmp_path / "audio" / f"t{i}.wav",
                 np.concatenate([silence(0.2), tone(f1, 0.5), silence(0.3), tone(f2, 0.5)]), 16000)
        answer = "lower" if f2 < f1 else "higher"
        # 'higher' first so that the no-tool stand-in (first choice) is right only half the time
        items.append({"id": f"t{i}", "audio_id": f"./audio/t{i}.wav", "question": "Second tone higher or lower?",
                      "choices": ["higher", "lower"], "answer": answer, "task": "pitch_compare",
                      "expert_tool": "pitch", "split": "test" if i < 3 else "train"})
    # bad inputs: the run must go on and list each one with a reason naming item and file
    (tmp_path / "audio" / "empty.wav").write_bytes(b"")
    (tmp_path / "audio" / "junk.wav").write_bytes(b"not audio" * 50)
    (tmp_path / "audio" / "trunc.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00")
    for name in ("missing", "empty", "junk", "trunc"):
        items.append({"id": f"bad-{name}", "audio_id": f"./audio/{name}.wav", "question": "q",
                      "choices": ["higher", "lower"], "answer": "lower", "task": "pitch_compare", "split": "test"})
    items.append({"id": "bad-answer", "audio_id": "./audio/t0.wav", "question": "q", "choices": ["a", "b"],
                  "answer": "c", "split": "test"})
    (tmp_path / "items.json").write_text(json.dumps(items))
    return str(tmp_path)


def make_evaluator(tmp_path):
    executor = ToolExecutor([PitchTool(), Exploding()], ParquetCache(str(tmp_path / "cache" / "tools")))
    reasoner = CachedReasoner(EchoReasoner(), ParquetCache(str(tmp_path / "cache" / "reasoner")))
    return Evaluator(executor, reasoner, EvalSettings(progress=False, fit_items_per_task=5))


def test_benchmark_scores_systems_and_rejects_bad_items(tmp_path, dataset):
    out = str(tmp_path / "out" / "results.json")
    # 5 of the 8 test items are bad on purpose: allow that, and check that the default limit stops it
    # (at the manifest check already, before any audio is read: 1 bad entry of 8)
    with pytest.raises(TooManyBadItems, match=r"1 of 8 items \(12.5%\) are bad, over max_bad_fraction=0.1"):
        run_benchmark({}, dataset, ["none"], out, split="test", evaluator=make_evaluator(tmp_path), progress=False)
    results = run_benchmark({"max_bad_fraction": 1.0}, dataset,
                            ["none", "all", "expert", "single-best", "oracle", "random"], out,
                            split="test", evaluator=make_evaluator(tmp_path), progress=False)
    on_disk = json.load(open(out))
    assert on_disk["systems"] == results["systems"] and on_disk["n_items"] == 3
    s = results["systems"]
    assert s["expert"]["accuracy"] == 1.0 and s["expert"]["mean_tool_calls"] == 1.0
    assert s["none"]["accuracy"] == pytest.approx(1 / 3, abs=1e-3) and s["none"]["mean_tool_calls"] == 0
    # the exploding tool yields an error result; 'all' still answers every item, from pitch alone
    assert s["all"]["accuracy"] == 1.0 and s["all"]["n_items"] == 3
    assert s["oracle"]["accuracy"] == 1.0 and s["oracle"]["mean_tool_calls"] <= 1.0
    assert results["single_best"]["pitch_compare"] == "pitch"
    assert set(s["expert"]) >= {"accuracy", "per_task", "per_difficulty", "mean_tool_calls", "seconds_per_item"}
    reasons = {r["id"]: r["reason"] for r in results["rejected"]}
    assert set(reasons) == {"bad-missing", "bad-empty", "bad-junk", "bad-trunc", "bad-answer"}
    assert "file not found" in reasons["bad-missing"] and "missing.wav" in reasons["bad-missing"]
    assert "file is empty" in reasons["bad-empty"] and "not readable as audio" in reasons["bad-junk"]
    assert "not among the choices" in reasons["bad-answer"]
    stages = {r["id"]: r["stage"] for r in results["rejected"]}
    assert stages["bad-answer"] == "manifest" and stages["bad-junk"] == "audio"
    import pyarrow.parquet as pq
    on_file = pq.read_table(str(tmp_path / "out" / "results.rejected.parquet")).to_pylist()
    assert on_file == results["rejected"]
    import pyarrow.parquet as pq
    rows = pq.read_table(str(tmp_path / "out" / "results.items.parquet")).to_pylist()
    assert len(rows) == 6 * 3
    all_rows = [r for r in rows if r["system"] == "all"]
    assert all(r["tool_ok"] == [True, False] and r["tool_texts"][1].startswith("ERROR RuntimeError")
               for r in all_rows)
    assert "| expert | 100.0 |" in format_table(results)


def test_second_run_is_served_from_cache(tmp_path, dataset):
    first = make_evaluator(tmp_path)
    cfg = {"max_bad_fraction": 1.0}  # the dataset's bad items are there on purpose
    run_benchmark(cfg, dataset, ["expert"], str(tmp_path / "a.json"), evaluator=first, progress=False)
    again = make_evaluator(tmp_path)
    results = run_benchmark(cfg, dataset, ["expert"], str(tmp_path / "b.json"), evaluator=again, progress=False)
    assert results["cache"]["tools"]["misses"] == 0 and results["cache"]["reasoner"]["misses"] == 0


def test_route_table_says_what_a_router_did_per_family():
    from eval.runner import route_table

    rows = [{"system": "learned", "task": "pitch", "tools": ["pitch"], "correct": True},
            {"system": "learned", "task": "pitch", "tools": ["pitch", "voice"], "correct": False},
            {"system": "learned", "task": "pitch", "tools": ["pitch"], "correct": True},
            {"system": "learned", "task": "duration", "tools": [], "correct": True},
            {"system": "learned", "task": "duration", "tools": ["duration"], "correct": None},
            {"system": "expert", "task": "duration", "tools": ["duration"], "correct": True}]
    lines = route_table(rows, "learned").splitlines()
    assert lines[0] == "| task | items | accuracy | calls/item | no tool | most common route |"
    assert lines[2] == "| duration | 2 | 100 | 0.50 | 50% | (none) (50%) |"  # unscored rows left out of accuracy
    assert lines[3] == "| pitch | 3 | 67 | 1.33 | 0% | pitch (67%) |"
    assert len(lines) == 4


def test_routing_helpers():
    tools = ["a", "b", "c", "d"]
    assert oracle_candidates(tools, 2)[:2] == [[], ["a"]] and len(oracle_candidates(tools, 2)) == 1 + 4 + 6
    from eval.datasets import AudioQA
    item = AudioQA("x", "/a.wav", "q", ("a", "b"), "a")
    assert route_random(item, tools, seed=1) == route_random(item, tools, seed=1)
    assert 1 <= len(route_random(item, tools, seed=1, max_tools=3)) <= 3
    with pytest.raises(ValueError, match="unknown system"):
        parse_systems("none,magic")
    assert parse_systems("none, expert") == ["none", "expert"]


def test_oracle_answers_each_subset_size_in_one_batch_and_picks_as_one_at_a_time(tmp_path, dataset):
    """The oracle's rows equal trying the subsets one by one (smallest first, config order), with
    one reasoner batch per subset size tried instead of one call per subset."""
    from eval.systems import Oracle

    class Counting(EchoReasoner):
        batches = 0

        def answer_batch(self, requests):
            Counting.batches += 1
            return super().answer_batch(requests)

    def fresh() -> Evaluator:  # each with its own answer cache, so every batch reaches the backend
        executor = ToolExecutor([PitchTool(), Exploding()], ParquetCache(None))
        return Evaluator(executor, CachedReasoner(Counting(), ParquetCache(None)),
                         EvalSettings(progress=False, oracle_max_size=2))

    sequential = fresh()
    items, _ = load_items(dataset, split=None)
    items = [i for i in items if not i.id.startswith("bad")]
    sizes_tried = []
    for item in items:
        candidates = oracle_candidates(sequential.tool_names, 2)
        expected = next((r for r in (sequential.episode(item, c) for c in candidates) if r["correct"]), None)
        Counting.batches = 0
        got = Oracle().run(item, fresh())
        drop = ("seconds_route", "seconds_reason", "seconds_execute")
        want = expected or sequential.episode(item, [])
        assert {k: v for k, v in got.items() if k not in drop} == {k: v for k, v in want.items() if k not in drop}
        tried = len(got["tools"]) + 1 if expected else 3  # sizes 0, 1, 2: one batch each, until one is right
        assert Counting.batches == tried
        sizes_tried.append(tried)
    assert max(sizes_tried) > 1  # some item needed a tool: the batching was exercised
