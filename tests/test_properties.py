"""Property-based tests (hypothesis): the loader, MMAU scoring, the prompt renderer and the
env's action masking hold their contracts on generated input, not only on the cases we thought of."""
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SR, EchoReasoner, FakeEncoder, tone
from env.items import AudioQA, load_items, parse_item
from env.prompt import STYLES, render_prompt
from env.scoring import _words, string_match
from tools.base import BaseTool, ToolResult

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4) |
                          st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
path_part = st.sampled_from(["..", ".", "a.wav", "sub", "/", "/etc/passwd", "x\x00y", "", "~"])
raw_items = st.fixed_dictionaries({}, optional={
    "id": json_scalar, "question": json_value, "answer": json_value,
    "choices": st.lists(st.text(max_size=8), max_size=5) | json_value,
    "audio_id": st.lists(path_part, min_size=1, max_size=4).map("/".join) | json_value,
    "split": st.sampled_from(["train", "test"]) | json_value, "task": json_value})


# -- loader ------------------------------------------------------------------------------------

@SETTINGS
@given(raw=raw_items | json_value)
def test_parse_item_returns_a_valid_item_or_a_value_error(tmp_path, raw):
    root = str(tmp_path)
    try:
        item = parse_item(raw, root)
    except ValueError:
        return  # the loader turns it into a rejection with this reason
    assert isinstance(item, AudioQA)
    assert len(item.choices) >= 2 and len(set(item.choices)) == len(item.choices)
    assert all(isinstance(c, str) and c.strip() for c in item.choices)
    assert item.question.strip()
    assert item.answer is None or item.answer in item.choices  # None: withheld, as MMAU test has it
    assert set(item.choices) <= {c.strip() for c in item.scored_choices}  # offered: the released, once each
    folder = os.path.abspath(root)  # what the manifest says never leads outside the dataset folder
    assert os.path.commonpath([item.audio, folder]) == folder and ".." not in item.audio.split(os.sep)


@SETTINGS
@given(raws=st.lists(raw_items, max_size=8))
def test_load_items_accounts_for_every_entry(tmp_path, raws):
    (tmp_path / "items.json").write_text(json.dumps(raws))
    items, rejected = load_items(str(tmp_path))
    assert len(items) + len(rejected) == len(raws)  # nothing silently dropped
    assert len({i.id for i in items}) == len(items)
    assert all(r["stage"] == "manifest" and r["reason"].startswith(str(tmp_path)) for r in rejected)


# -- MMAU string match -------------------------------------------------------------------------

words = st.text(alphabet="abcdefgh xyz", min_size=1, max_size=12)
distinct_choices = st.lists(words, min_size=2, max_size=5, unique_by=lambda c: frozenset(_words(c)))


@SETTINGS
@given(choices=distinct_choices, data=st.data())
def test_string_match_accepts_the_answer_in_any_case_and_punctuation(choices, data):
    answer = data.draw(st.sampled_from(choices))
    assert string_match(answer, answer, choices) == bool(_words(answer))
    assert string_match(answer, f"  {answer.upper()}!", choices) == string_match(answer, answer, choices)
    assert not string_match(answer, "", choices) and not string_match(answer, "...", choices)


@SETTINGS
@given(choices=distinct_choices, data=st.data())
def test_string_match_refuses_a_wrong_choice_with_words_of_its_own(choices, data):
    answer, wrong = data.draw(st.permutations(choices))[:2]
    if _words(wrong) - _words(answer):
        assert not string_match(answer, wrong, choices)
        assert not string_match(answer, f"{answer} or {wrong}", choices)  # hedging is wrong too


# -- prompt renderer ---------------------------------------------------------------------------

texts = st.lists(st.text(max_size=30), max_size=5)


@SETTINGS
@given(question=st.text(min_size=1, max_size=40), choices=st.lists(st.text(min_size=1, max_size=10), min_size=2,
                                                                   max_size=4), tool_texts=texts,
       style=st.sampled_from(STYLES))
def test_every_evidence_line_reaches_the_prompt_and_blank_ones_do_not(question, choices, tool_texts, style):
    messages, prefix = render_prompt(question, choices, tool_texts, style)
    rendered = "\n".join(m["content"] for m in messages) + "\n" + prefix
    for line in tool_texts:
        if line.strip():
            assert line.strip() in rendered
    assert render_prompt(question, choices, list(tool_texts) + ["", "  \n"], style) == (messages, prefix)
    assert not prefix.endswith(" ")  # a choice is scored as " " + choice (env/prompt.py)
    if style != "restate":
        assert all(c in messages[1]["content"] for c in choices)


@SETTINGS
@given(order=st.permutations(range(4)), ok=st.lists(st.booleans(), min_size=4, max_size=4))
def test_evidence_depends_on_which_tools_ran_not_their_order(order, ok):
    from tools.executor import ToolExecutor

    tools = [Constant(f"t{k}") for k in range(4)]
    executor = ToolExecutor(tools)
    results = [ToolResult(f"t{k}", ok[k], {}, f"text {k}", "" if ok[k] else "failed") for k in range(4)]
    evidence = executor.evidence([results[k] for k in order])
    assert evidence == tuple(f"text {k}" for k in range(4) if ok[k])


# -- action masking ----------------------------------------------------------------------------

class Constant(BaseTool):
    """A tool that says the same thing about every clip; `applicable` only to questions with its name."""

    def __init__(self, name, picky=False):
        super().__init__()
        self.name, self.picky = name, picky

    def analyze(self, audio, question, choices):
        return {"said": self.name}, f"{self.name} says {choices[-1]}"

    def applicable(self, question, choices):
        return not self.picky or self.name in question


@pytest.fixture(scope="module")
def masking_env(tmp_path_factory):
    import soundfile as sf

    from env.audio_tool_env import AudioToolEnv
    from env.reasoners import CachedReasoner
    from tools.cache import ParquetCache
    from tools.executor import ToolExecutor

    folder = tmp_path_factory.mktemp("mask")
    sf.write(folder / "a.wav", tone(440, 0.3), SR)
    items = [AudioQA(f"i{k}", str(folder / "a.wav"), q, ("x", "y", "z"), "z")
             for k, q in enumerate(["plain question", "ask picky please", "another one"])]
    tools = [Constant("alpha"), Constant("beta"), Constant("picky", picky=True), Constant("gamma")]
    return AudioToolEnv(items, ToolExecutor(tools), CachedReasoner(EchoReasoner(), ParquetCache(None)),
                        FakeEncoder(), max_calls=2, cost_weight=0.1)


@SETTINGS
@given(seed=st.integers(0, 2 ** 16), actions=st.lists(st.integers(-2, 6), min_size=1, max_size=6))
def test_action_mask_invariants_under_any_action_sequence(masking_env, seed, actions):
    env = masking_env
    obs, info = env.reset(seed=seed)
    item = env.item
    applicable = np.array([env.executor.tools[n].applicable(item.question, item.choices) for n in env.tool_names])
    called: list[int] = []
    for step, action in enumerate(actions):
        mask = obs["action_mask"]
        assert mask[env.answer_action] == 1.0  # ANSWER is always allowed
        assert np.all(mask[:env.n_tools][~applicable] == 0)  # a tool whose precondition fails never is
        assert all(mask[k] == 0 for k in called)  # nor a tool already called
        was_masked = not (0 <= action <= env.n_tools) or mask[action] == 0
        obs, reward, done, truncated, info = env.step(action)
        assert not truncated
        if was_masked:
            assert done and info["masked_action"]  # a masked action ends the episode as ANSWER
        elif action != env.answer_action:
            called.append(action)
        assert len(called) <= env.max_calls
        if done:
            assert info["tools"] == [env.tool_names[k] for k in called]
            cost = 0.1 * sum(env.costs[k] for k in called)
            assert -1.0 - cost - 1e-6 <= reward <= 1.0 and info["answer"] in item.choices
            break
        assert reward == 0.0 and len(called) < env.max_calls  # rewards come only at the end
