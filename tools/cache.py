"""A key -> JSON value cache kept on disk as Parquet shards.

Each writer appends its own shard file (`part-<pid>-<random>.parquet`), written to a
temporary name and renamed into place, so readers never see a torn file and concurrent
writers on one node never overwrite each other. Opening the cache reads every shard;
`refresh()` reads the shards other processes wrote since. A `read_only` cache (an env
runner's view of what the tool and reasoner pools write) never writes. Safe to share
between threads (a pool server answers concurrent callers).
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import threading
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


@contextlib.contextmanager
def file_lock(path: str):
    """Hold an exclusive lock on `path` (created if missing) for the with-block, so that the
    processes of one machine that would fill the same on-disk cache take turns: the first writes,
    the others wait and then read what it wrote. An advisory fcntl lock, released if the holder dies."""
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class ParquetCache:
    def __init__(self, folder: str | None, flush_every: int = 256, read_only: bool = False):
        self.folder = folder
        self.flush_every = flush_every
        self.read_only = read_only
        self._data: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self._read: set[str] = set()  # shard files already loaded
        self._lock = threading.RLock()
        self.hits = 0
        self.misses = 0
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.refresh()

    def refresh(self) -> int:
        """Load the shards written since the last look (by this or another process); returns how many."""
        if not self.folder:
            return 0
        with self._lock:
            new = [p for p in sorted(glob.glob(os.path.join(self.folder, "part-*.parquet"))) if p not in self._read]
            for path in new:
                try:
                    table = pq.read_table(path)
                except FileNotFoundError:  # compacted away by another process since the glob
                    continue
                self._data.update(zip(table.column("key").to_pylist(), table.column("value").to_pylist()))
                self._read.add(path)
            return len(new)

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> Any | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
        return json.loads(value)

    def put(self, key: str, value: Any) -> None:
        encoded = json.dumps(value, sort_keys=True)
        with self._lock:
            self._data[key] = encoded
            if self.read_only:
                return
            self._pending[key] = encoded
            if len(self._pending) >= self.flush_every:
                self.flush()

    def flush(self) -> str | None:
        """Write the pending entries as a new shard; returns its path (None if nothing to write)."""
        with self._lock:
            if not self.folder or not self._pending:
                self._pending.clear()
                return None
            name = f"part-{os.getpid()}-{uuid.uuid4().hex[:12]}.parquet"
            tmp = os.path.join(self.folder, f".{name}.tmp")
            table = pa.table({"key": list(self._pending), "value": list(self._pending.values())})
            pq.write_table(table, tmp)
            path = os.path.join(self.folder, name)
            os.replace(tmp, path)
            self._read.add(path)
            self._pending.clear()
            return path

    def compact(self) -> int:
        """Merge every shard into one, so a long run's hundreds of small shards do not slow the
        next start-up. The merged shard is in place (tmp+rename) before the old ones go, so a
        reader sees the entries in one or the other. Returns how many shards were merged."""
        if not self.folder or self.read_only:
            return 0
        with self._lock:
            self.flush()
            # list first, then load: a shard another writer adds in between is loaded or kept, never dropped
            shards = sorted(glob.glob(os.path.join(self.folder, "part-*.parquet")))
            self.refresh()
            if len(shards) <= 1:
                return 0
            self._pending = dict(self._data)
            merged = self.flush()
            for path in shards:
                if path != merged:
                    try:
                        os.remove(path)
                    except FileNotFoundError:
                        pass
            self._read = {merged}
            return len(shards)

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._data), "hits": self.hits, "misses": self.misses}
