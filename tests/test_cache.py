import glob

import numpy as np

from conftest import tone
from tools.base import BaseTool
from tools.cache import ParquetCache
from tools.executor import ToolExecutor


def test_cache_persists_across_instances(tmp_path):
    c = ParquetCache(str(tmp_path), flush_every=2)
    c.put("a", {"x": 1})
    assert c.get("a") == {"x": 1} and c.get("b") is None
    c.put("b", [1, 2])  # reaches flush_every: one shard written
    c.put("c", "s")
    c.flush()
    shards = glob.glob(str(tmp_path / "part-*.parquet"))
    assert len(shards) == 2 and not glob.glob(str(tmp_path / "*.tmp"))
    again = ParquetCache(str(tmp_path))
    assert again.get("a") == {"x": 1} and again.get("b") == [1, 2] and again.get("c") == "s"
    assert again.stats() == {"entries": 3, "hits": 3, "misses": 0}


class CountingTool(BaseTool):
    name = "counting"
    version = "1"
    calls = 0

    def analyze(self, audio, question, choices):
        CountingTool.calls += 1
        return {"n": float(np.abs(audio.samples).max())}, "counted"


def test_executor_caches_by_tool_version_and_audio(tmp_path, write_wav):
    a = write_wav("a.wav", tone(440, 0.5))
    b = write_wav("b.wav", tone(880, 0.5))
    CountingTool.calls = 0
    ex = ToolExecutor([CountingTool()], ParquetCache(str(tmp_path / "c")))
    ex.run(a, "q", ["x", "y"], ["counting"])
    ex.run(a, "other question", ["x", "y"], ["counting"])  # question does not key a choice-free tool
    assert CountingTool.calls == 1
    ex.run(b, "q", ["x", "y"], ["counting"])
    assert CountingTool.calls == 2
    ex.cache.flush()
    # a new process with the same cache folder recomputes nothing...
    ex2 = ToolExecutor([CountingTool()], ParquetCache(str(tmp_path / "c")))
    assert ex2.run(a, "q", [], ["counting"])[0].text == "counted" and CountingTool.calls == 2
    # ...until the tool's version changes
    bumped = CountingTool()
    bumped.version = "2"
    ToolExecutor([bumped], ParquetCache(str(tmp_path / "c"))).run(a, "q", [], ["counting"])
    assert CountingTool.calls == 3


def test_evidence_is_in_config_order_whatever_the_call_order():
    from tools.base import ToolResult

    class Named(CountingTool):
        def __init__(self, name):
            super().__init__()
            self.name = name

    ex = ToolExecutor([Named("a"), Named("b"), Named("c")])
    c = ToolResult(tool="c", ok=True, text="C", data={})
    a = ToolResult(tool="a", ok=True, text="A", data={})
    b_failed = ToolResult(tool="b", ok=False, text="", data={}, error="boom")
    assert ex.evidence([c, b_failed, a]) == ("A", "C") == ex.evidence([a, c])


def test_read_only_view_sees_other_writers_and_never_writes(tmp_path):
    writer = ParquetCache(str(tmp_path), flush_every=1)
    writer.put("a", {"v": 1})
    view = ParquetCache(str(tmp_path), read_only=True)
    assert view.get("a") == {"v": 1}
    writer.put("b", {"v": 2})  # written after the view opened
    assert view.get("b") is None
    assert view.refresh() == 1 and view.get("b") == {"v": 2}
    view.put("c", {"v": 3})  # kept in memory, never on disk
    view.flush()
    assert view.get("c") == {"v": 3} and ParquetCache(str(tmp_path)).get("c") is None
    assert len(list(tmp_path.glob("part-*.parquet"))) == 2


def test_compact_merges_shards_into_one_with_the_same_entries(tmp_path):
    writer = ParquetCache(str(tmp_path), flush_every=1)
    for k in range(5):
        writer.put(f"k{k}", {"v": k})  # one shard each
    other = ParquetCache(str(tmp_path), flush_every=1)
    other.put("k9", {"v": 9})
    assert len(list(tmp_path.glob("part-*.parquet"))) == 6
    assert writer.compact() == 6
    assert len(list(tmp_path.glob("part-*.parquet"))) == 1
    fresh = ParquetCache(str(tmp_path))
    assert {k: fresh.get(k) for k in fresh._data} == {**{f"k{k}": {"v": k} for k in range(5)}, "k9": {"v": 9}}
    assert other.refresh() == 1  # a reader opened before the compaction picks up the merged shard
    assert ParquetCache(str(tmp_path), read_only=True).compact() == 0


def test_a_tool_that_overruns_its_timeout_gives_an_error_result_in_time(tmp_path):
    import time

    import numpy as np
    import soundfile as sf

    from tools.base import BaseTool
    from tools.executor import ToolExecutor

    class Stuck(BaseTool):
        name = "stuck"

        def analyze(self, audio, question, choices):
            time.sleep(5)
            return {}, "never"

    class Quick(BaseTool):
        name = "quick"

        def analyze(self, audio, question, choices):
            return {"n": 1}, "quick result"

    path = str(tmp_path / "a.wav")
    sf.write(path, np.zeros(1600, dtype=np.float32) + 0.1, 16000)
    executor = ToolExecutor([Stuck(), Quick()], ParquetCache(str(tmp_path / "c")), timeout_s=0.3)
    start = time.perf_counter()
    stuck, quick = executor.run(path, "q", ["a", "b"], ["stuck", "quick"])
    assert time.perf_counter() - start < 2
    assert not stuck.ok and "TimeoutError" in stuck.error and "0.3" in stuck.error
    assert quick.ok and quick.text == "quick result"
    assert executor.cache.get(executor.cache_key(executor.tools["stuck"], executor.audio_hash(path), "", [])) is None
