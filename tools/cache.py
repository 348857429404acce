"""A key -> JSON value cache kept on disk as Parquet shards.

Each writer appends its own shard file (`part-<pid>-<random>.parquet`), written to a
temporary name and renamed into place, so readers never see a torn file and concurrent
writers on one node never overwrite each other. Opening the cache reads every shard.
"""
from __future__ import annotations

import glob
import json
import os
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class ParquetCache:
    def __init__(self, folder: str | None, flush_every: int = 256):
        self.folder = folder
        self.flush_every = flush_every
        self._data: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self.hits = 0
        self.misses = 0
        if folder:
            os.makedirs(folder, exist_ok=True)
            for path in sorted(glob.glob(os.path.join(folder, "part-*.parquet"))):
                table = pq.read_table(path)
                self._data.update(zip(table.column("key").to_pylist(), table.column("value").to_pylist()))

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> Any | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(value)

    def put(self, key: str, value: Any) -> None:
        encoded = json.dumps(value, sort_keys=True)
        self._data[key] = encoded
        self._pending[key] = encoded
        if len(self._pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if not self.folder or not self._pending:
            self._pending.clear()
            return
        name = f"part-{os.getpid()}-{uuid.uuid4().hex[:12]}.parquet"
        tmp = os.path.join(self.folder, f".{name}.tmp")
        table = pa.table({"key": list(self._pending), "value": list(self._pending.values())})
        pq.write_table(table, tmp)
        os.replace(tmp, os.path.join(self.folder, name))
        self._pending.clear()

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._data), "hits": self.hits, "misses": self.misses}
