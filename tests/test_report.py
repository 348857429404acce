"""Comparison outputs and `audiorouter report`: the CSV table, the plots' numbers, per-system
child runs with the same metric names, and a report built back from MLflow (no models: the
results are written by hand in the shapes eval/runner.py produces)."""
import csv
import os

import pytest

from eval import plots
from eval.benchmark import heatmap_systems, write_outputs
from eval.report import children_table, markdown_tables, write_report
from eval.runner import summarize

PNG = b"\x89PNG\r\n\x1a\n"


def row(system, item, task, tools, correct):
    return {"id": item, "task": task, "difficulty": "easy", "modality": "", "category": "", "system": system,
            "tools": tools, "tool_ok": [True] * len(tools), "tool_texts": [], "prediction": "a", "answer": "a",
            "correct": correct, "tool_calls": len(tools), "seconds_route": 0.0, "seconds_execute": 0.1,
            "seconds_reason": 0.2, "error": ""}


@pytest.fixture
def comparison():
    rows = [row("none", "p1", "pitch", [], False), row("none", "p2", "pitch", [], True),
            row("none", "c1", "count", [], False),
            row("learned", "p1", "pitch", ["pitch"], True), row("learned", "p2", "pitch", ["pitch", "asr"], True),
            row("learned", "c1", "count", ["events"], False)]
    results = {"n_items": 3, "split": "test", "tools": ["pitch", "events", "asr"], "rejected": [],
               "systems": {s: summarize([r for r in rows if r["system"] == s]) for s in ("none", "learned")}}
    return results, rows


def png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG and os.path.getsize(path) > 5_000


def test_tool_usage_is_the_share_of_each_tasks_items_calling_each_tool(comparison):
    _, rows = comparison
    usage = plots.tool_usage(rows, "learned", ["pitch", "events", "asr"])
    assert usage == {"count": {"pitch": 0.0, "events": 1.0, "asr": 0.0},
                     "pitch": {"pitch": 1.0, "events": 0.0, "asr": 0.5}}
    assert plots.tool_usage(rows, "none", ["pitch"]) == {"count": {"pitch": 0.0}, "pitch": {"pitch": 0.0}}


def test_heatmap_shows_the_learned_router_beside_the_oracle():
    assert heatmap_systems(["none", "all", "expert", "oracle", "learned"]) == ["learned", "oracle"]
    assert heatmap_systems(["none", "all", "expert", "random"]) == ["expert", "random"]
    assert heatmap_systems(["none", "all"]) == []


def test_write_outputs_adds_the_csv_table_and_both_plots(tmp_path, comparison):
    results, rows = comparison
    write_outputs(results, rows, str(tmp_path / "results.test.json"))
    with open(tmp_path / "results.test.csv") as f:
        table = list(csv.reader(f))
    assert table[0] == ["system", "overall", "count", "pitch", "calls/item"]
    assert [float(x) for x in table[2][1:]] == pytest.approx([2 / 3, 0.0, 1.0, 4 / 3], abs=1e-3)  # learned
    assert png(tmp_path / "results.test.accuracy_per_task.png")
    assert png(tmp_path / "results.test.tool_usage.png")


def test_learning_curves_plot_marks_missing_metrics(tmp_path):
    path = plots.learning_curves({"reward_mean": [(0, 0.1), (1, 0.3)], "accuracy": [(0, 0.5), (1, 0.6)]},
                                 str(tmp_path / "lc.png"))
    assert png(path)


def test_markdown_tables_parses_what_format_table_writes():
    text = "| a | b |\n|---|---|\n| 1 | 2 |\n\n| x |\n|---|\n| y |\n| z |\n"
    assert markdown_tables(text) == [(["a", "b"], [["1", "2"]]), (["x"], [["y"], ["z"]])]


def test_report_reads_the_latest_comparison_back_from_mlflow(tmp_path, comparison):
    import mlflow

    from eval.tracking import log_eval, log_system_runs, start_run

    results, rows = comparison
    out = str(tmp_path / "run" / "results.test.json")
    write_outputs(results, rows, out)
    uri = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    with start_run(uri, "study", "older", tags={"audiorouter.kind": "comparison"}):
        mlflow.log_param("data", "old")
    with start_run(uri, "study", "eval", tags={"audiorouter.kind": "comparison"}) as parent:
        log_eval(results, out, {"data": "probe", "split": "test"})
        children = log_system_runs(results, {"data": "probe", "split": "test"})

    client = mlflow.MlflowClient(tracking_uri=uri)
    runs = [client.get_run(i) for i in children]
    assert [r.data.params["system"] for r in runs] == ["none", "learned"]
    assert all(r.data.tags["mlflow.parentRunId"] == parent.info.run_id for r in runs)
    # the same metric names in every child: the compare view lines the systems up
    assert set(runs[0].data.metrics) == set(runs[1].data.metrics) >= {"accuracy", "accuracy/pitch", "tool_calls"}
    assert runs[1].data.metrics["accuracy/pitch"] == 1.0
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"results.test.csv", "results.test.md", "results.test.accuracy_per_task.png",
            "results.test.tool_usage.png"} <= artifacts

    report = write_report(uri, "study", str(tmp_path / "report"))
    assert report["run_id"] == parent.info.run_id  # the latest top-level run, not a child or "older"
    md = open(report["md"]).read()
    assert "# eval (comparison)" in md and "| learned | 66.7 |" in md
    assert sorted(report["images"]) == ["results.test.accuracy_per_task.png", "results.test.tool_usage.png"]
    html = open(report["html"]).read()
    for line in md.splitlines():
        if line.startswith("!["):
            image = line[line.index("(") + 1:-1]
            assert png(tmp_path / "report" / image) and f"src='{image}'" in html
    header, table_rows = children_table(runs)
    assert header == ["run", "system", "accuracy", "tool_calls"]
    assert "## Child runs (2)" in md and "| learned | learned | 0.6667 | 1.333 |" in md


def test_report_names_the_experiments_when_one_is_missing(tmp_path):
    from eval.tracking import start_run

    uri = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    with start_run(uri, "exists", "r"):
        pass
    with pytest.raises(ValueError, match="no MLflow experiment 'nope'.*exists"):
        write_report(uri, "nope", str(tmp_path / "r"))


def test_learned_systems_are_labelled_so_runs_line_up():
    from eval.systems import system_labels

    assert system_labels(["none", "learned:runs/demo/router.pt"]) == {"learned:runs/demo/router.pt": "learned"}
    assert system_labels(["learned:runs/a/router.pt", "learned:runs/b/router.pt"]) == {
        "learned:runs/a/router.pt": "learned:a", "learned:runs/b/router.pt": "learned:b"}


def test_the_latest_study_is_found_past_pages_of_newer_child_runs(tmp_path, monkeypatch):
    import mlflow

    from eval import report
    from eval.tracking import start_run

    uri = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    with start_run(uri, "big", "sweep") as parent:
        for k in range(5):  # children start after their parent: the newest runs are all children
            with start_run(uri, "big", f"trial{k}", parent_run_id=parent.info.run_id):
                pass
    monkeypatch.setattr(report, "PAGE", 2)
    client = mlflow.MlflowClient(tracking_uri=uri)
    assert report.latest_study(client, "big").info.run_id == parent.info.run_id


def test_reward_study_plateau_and_table(tmp_path):
    """benchmarks/reward_study.py: the iteration where training accuracy settles, and its table."""
    from benchmarks.reward_study import markdown, plateau_iteration

    # target 0.9 - 0.02; running means of three: ..., 0.867 at iteration 6, 0.9 at iteration 7
    assert plateau_iteration([0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9]) == 7
    assert plateau_iteration([0.9] * 8) == 1 and plateau_iteration([0.1, 0.2, 0.3]) == 3
    row = {"setting": "relative_prob", "seeds": 2, "accuracy_mean": 0.9, "accuracy_std": 0.01,
           "accuracy_per_seed": [0.89, 0.91], "calls_mean": 1.25, "calls_per_seed": [1.2, 1.3],
           "plateau_mean": 7.5, "plateau_per_seed": [7, 8]}
    assert markdown([row]).splitlines()[2] == "| relative_prob | 2 | 90.0 +- 1.0 | 89.0 / 91.0 | 1.25 | 7.5 (7 / 8) |"


def test_reward_landscape_ranks_the_expert_and_counts_chance_turns():
    """benchmarks/reward_landscape.py: a wording's items masked to one template; under `relative`
    a line that turned a wrong answer right by chance earns what the expert earns, under
    `relative_sure` less; the chance table counts the turns and the probabilities behind them."""
    from benchmarks.reward_landscape import NO_TOOL, chance_turns, rank, wording
    from env.items import AudioQA
    from env.reasoners import Answer
    from env.rewards import Outcome, build_reward

    assert wording('Is the number of spoken phrases three?') == wording('Is the number of spoken phrases 2?')
    assert wording('Does the speaker say "open the door"?') == wording('Does the speaker say "see you"?')

    def answer(item, right: bool, p: float) -> Answer:
        k = item.choices.index(item.answer)
        probabilities = [p if j == k else 1 - p for j in range(2)]
        index = k if right else 1 - k
        return Answer(item.choices[index], index, list(probabilities), probabilities=probabilities)

    rows = []
    for n, q in enumerate(["Is the number of spoken phrases three?", "Is the number of spoken phrases 2?"]):
        item = AudioQA(f"i{n}", "/x.wav", q, ("yes", "no"), "no", task="speech_count", expert_tool="vad")
        wrong = answer(item, False, 0.3)
        outcomes = {NO_TOOL: Outcome(item, wrong, wrong, [], 0.0, 0.0),  # a tie goes to the first: voice
                    "voice": Outcome(item, answer(item, n == 0, 0.55 if n == 0 else 0.3), wrong, ["voice"], 0.3, 0.0),
                    "vad": Outcome(item, answer(item, True, 0.95), wrong, ["vad"], 0.3, 0.0)}
        rows.append({"item": item, "outcomes": outcomes})
    chance = chance_turns(rows)
    assert chance["expert"] == {"wrong_turned_right": 1.0, "median_p_when_turned": 0.95}
    assert chance["other"] == {"wrong_turned_right": 0.5, "median_p_when_turned": 0.55}
    for name, expert_best in (("relative", 1), ("relative_sure", 2)):  # `relative`: voice's luck ties vad on i0
        ranked = rank(rows, build_reward(name))
        assert (ranked["wrong_items"], ranked["wordings"], ranked["wordings_right"]) == (2, 1, 1)
        assert ranked["expert_best"] == expert_best and not ranked["misled"]
    lucky_only = [{"item": r["item"], "outcomes": {k: v for k, v in r["outcomes"].items() if k != "vad"}} for r in rows]
    misled = rank(lucky_only, build_reward("relative"))["misled"]
    assert [(m["best"], m["items"], m["no_tool_accuracy"]) for m in misled] == [("voice", 2, 0.0)]


def test_baseline_replay_best_tool_under_each_baseline():
    """benchmarks/baseline_replay.py: a line that pushes every clip towards the truth wins against a
    guess and loses against itself on other clips; a measurement wins against both."""
    from benchmarks.baseline_replay import best_tool_table

    tools = {"speakers": {"own": 0.70, "others": 0.30, "cost": 0.4},  # reads this clip
             "voice": {"own": 0.80, "others": 0.80, "cost": 0.2}}    # says the same everywhere
    rows = [{"task": "speakers", "expert": "speakers", "k": 2, "cost_weight": 0.05, "tools": tools},
            {"task": "speakers", "expert": "absent", "k": 2, "cost_weight": 0.05, "tools": tools}]  # not counted
    hits, totals = best_tool_table(rows, mix=0.0)
    assert (hits["speakers"], totals["speakers"]) == (0, 1)
    hits, totals = best_tool_table(rows, mix=1.0)
    assert (hits["speakers"], totals["speakers"]) == (1, 1)


def test_baseline_replay_refuses_no_neighbours(monkeypatch, capsys):
    """--neighbours 0 has no clips to average over: refused before any replay, not a division by zero."""
    import sys

    from benchmarks import baseline_replay

    monkeypatch.setattr(baseline_replay, "replay", lambda *a: pytest.fail("replayed"))
    monkeypatch.setattr(sys, "argv", ["baseline_replay.py", "--neighbours", "0"])
    with pytest.raises(SystemExit) as exit_info:
        baseline_replay.main()
    assert exit_info.value.code == 2 and "--neighbours must be at least 1" in capsys.readouterr().err


def test_reward_landscape_reads_the_configs_own_reward_by_the_name_config():
    """`--rewards ...,config`: the env's own reward, parameters included (the hearing config's
    guess_margin), beside the registered names."""
    from types import SimpleNamespace

    from benchmarks.reward_landscape import reward_named
    from env.rewards import RelativeMixedReward, RelativeReward, build_reward

    own = build_reward({"class": "env.rewards.RelativeMixedReward", "guess_margin": 0.3})
    env = SimpleNamespace(reward=own)
    assert reward_named("config", env) is own and own.guess_margin == 0.3
    assert isinstance(reward_named("relative", env), RelativeReward)
    assert type(reward_named("relative_mixed", env)) is RelativeMixedReward
    with pytest.raises(ValueError, match="unknown reward"):
        reward_named("nope", env)
