"""benchmarks/rule_readings.py: which questions a rule change reads differently."""
import json
import subprocess

from benchmarks.rule_readings import ROOT, SAMPLE_RESULTS, differences, load_questions, readings, readings_at


def _items(tmp_path, questions):
    path = tmp_path / "probe" / "items.json"
    path.parent.mkdir()
    path.write_text(json.dumps([{"id": f"q{k}", "question": q, "choices": c} for k, (q, c) in enumerate(questions)]))
    return str(path)


def test_readings_show_what_the_rules_make_of_a_question():
    typed = readings("Speaker count = 2?", ("Y", "N"))
    assert typed["asked"] == ["Speaker count exactly 2?", ["yes", "no"], [0, 1]]
    assert typed["equal_count"] == "Threshold(value=2.0, above=None, inclusive=True, unit='')"
    assert typed["verdicts"] == "('y', 'n')" and typed["answers_whether"] is True
    negated = readings("Is the clip not longer than 9 seconds?", ("yes", "no"))
    # asked without its negation, the answer the other way round
    assert negated["asked"] == ["Is the clip longer than 9 seconds?", ["yes", "no"], [1, 0]]
    assert negated["threshold"] == "(Threshold(value=9.0, above=True, inclusive=False, unit='second'), False)"
    assert negated["applicable"]["duration"] is True and negated["applicable"]["phrase_spot"] is False
    # with the sample lines: the duration line alone answers it (7 s is not longer than 9); the
    # speaker counter's "Two people speak" and the event counter's count do not (rule v35)
    by_line = dict(zip([name for name, _ in SAMPLE_RESULTS] + ["all"], negated["with_lines"]))
    assert by_line["duration"][2] == "False" and by_line["all"][2] == "False"
    assert by_line["speakers"][2] == "None" and by_line["events"][2] == "None"


def test_differences_name_each_question_and_reading_that_changed():
    a = {"p:1": {"asked": 1, "threshold": "x"}, "p:2": {"asked": 2}}
    b = {"p:1": {"asked": 1, "threshold": "y"}, "p:3": {"asked": 3}}
    assert differences(a, b) == {"p:1": ["threshold"], "p:2": ["asked"], "p:3": ["asked"]}
    assert differences(a, a) == {}


def test_a_revision_is_read_in_its_own_worktree_and_removed_after(tmp_path):
    """HEAD's rules read a question the rules have long read alike as this tree does; the temporary
    worktree is gone afterwards."""
    items = _items(tmp_path, [("How long is the clip?", ["3 s", "5 s"]), ("Is it louder at the end?", ["yes", "no"])])
    ours = {key: readings(q, c) for key, (q, c) in load_questions([items]).items()}
    assert set(ours) == {"probe:q0", "probe:q1"}
    before = subprocess.run(["git", "-C", ROOT, "worktree", "list"], capture_output=True, text=True).stdout
    assert differences(ours, readings_at("HEAD", [items])) == {}
    assert subprocess.run(["git", "-C", ROOT, "worktree", "list"], capture_output=True, text=True).stdout == before
