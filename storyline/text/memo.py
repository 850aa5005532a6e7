"""A bounded memo of recent results for batch work (encoding, parsing): a batch looks up
what it has seen, computes the rest in one call and keeps it, the least recently used
dropped first. Thread-safe; the computation itself runs outside the lock."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

__all__ = ["RecentMemo"]

V = TypeVar("V")


class RecentMemo(Generic[V]):
    """The values of the ``size`` most recently used texts (``size`` 0: none kept)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, text: object) -> bool:
        return text in self._items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def lookup(self, texts: Sequence[str]) -> tuple[list[V | None], dict[str, list[int]]]:
        """Each text's kept value (None where there is none), and the texts without one
        with their positions (each distinct text once, in first-seen order)."""
        found: list[V | None] = [None] * len(texts)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._items.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._items.move_to_end(text)
                    found[i] = hit
        return found, missing

    def keep(self, pairs: Iterable[tuple[str, V]]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            for text, value in pairs:
                self._items[text] = value
                self._items.move_to_end(text)
                if len(self._items) > self.size:
                    self._items.popitem(last=False)

    def get_many(self, texts: Sequence[str], compute: Callable[[list[str]], Sequence[V]]
                 ) -> list[V]:
        """The value of each text: kept ones from the memo, the rest from one call of
        ``compute`` on the distinct missing texts (then kept)."""
        found, missing = self.lookup(texts)
        if missing:
            fresh = compute(list(missing))
            for (_text, where), value in zip(missing.items(), fresh, strict=True):
                for i in where:
                    found[i] = value
            self.keep(zip(missing, fresh, strict=True))
        return found  # type: ignore[return-value]  # every None filled above
