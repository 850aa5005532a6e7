"""A small on-disk cache of article representations keyed by model version and text hash.

The evaluation harness embeds thousands of articles per run; the cache (a SQLite file in
the data directory) makes the second run cost nothing. The service stores vectors with
the articles instead (``article_vectors``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS cache (kind TEXT, version TEXT, key TEXT, "
                "value BLOB, PRIMARY KEY (kind, version, key))"
            )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _get(self, kind: str, version: str, keys: Sequence[str]) -> dict[str, bytes]:
        if self._db is None or not keys:
            return {}
        out: dict[str, bytes] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, value FROM cache WHERE kind=? AND version=? AND key IN ({marks})",
                [kind, version, *chunk],
            ).fetchall()
            out.update({k: v for k, v in rows})
        return out

    def _put(self, kind: str, version: str, items: dict[str, bytes]) -> None:
        if self._db is None or not items:
            return
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?)",
                [(kind, version, k, v) for k, v in items.items()],
            )

    def vectors(self, version: str, texts: Sequence[str],
                compute: Callable[[list[str]], np.ndarray], dim: int) -> np.ndarray:
        """Vectors for ``texts``, computing (and storing) only the missing ones."""
        keys = [text_key(t) for t in texts]
        found = self._get("vec", version, keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if missing:
            fresh = compute([texts[i] for i in missing])
            self._put("vec", version, {keys[i]: fresh[j].astype(np.float32).tobytes()
                                       for j, i in enumerate(missing)})
            for j, i in enumerate(missing):
                out[i] = fresh[j]
        for i, k in enumerate(keys):
            if k in found:
                out[i] = np.frombuffer(found[k], dtype=np.float32)
        return out

    def records(self, version: str, texts: Sequence[str],
                compute: Callable[[list[str]], list[Any]]) -> list[Any]:
        """JSON-able records (e.g. entities) for ``texts``, computing the missing ones."""
        keys = [text_key(t) for t in texts]
        found = self._get("rec", version, keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        out: list[Any] = [None] * len(texts)
        if missing:
            fresh = compute([texts[i] for i in missing])
            self._put("rec", version, {keys[i]: json.dumps(fresh[j]).encode()
                                       for j, i in enumerate(missing)})
            for j, i in enumerate(missing):
                out[i] = fresh[j]
        for i, k in enumerate(keys):
            if k in found:
                out[i] = json.loads(found[k])
        return out
