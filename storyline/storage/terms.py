"""Queries on term statistics: the document frequency of every term and entity the
clustering has seen (online IDF). The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, insert, select, update

from storyline.storage.schema import term_stats

MAX_TERM_LEN = 64  # longer terms are not stored (the column's width)
_CHUNK = 500  # terms per IN (...) lookup


def document_frequencies(conn: Connection) -> list[tuple[str, int]]:
    """Every stored ``(term, df)``; entity terms carry an ``e:`` prefix."""
    return [(term, df) for term, df in conn.execute(select(term_stats.c.term, term_stats.c.df))]


def save_document_frequencies(conn: Connection, dfs: Mapping[str, int]) -> None:
    """Store the given document frequencies: existing terms are updated, new ones
    inserted in one batch (skipping terms over ``MAX_TERM_LEN``)."""
    terms = sorted(dfs)
    existing: set[str] = set()
    for i in range(0, len(terms), _CHUNK):
        chunk = terms[i : i + _CHUNK]
        existing.update(r.term for r in conn.execute(
            select(term_stats.c.term).where(term_stats.c.term.in_(chunk))))
    new = [{"term": t, "df": dfs[t]} for t in terms if t not in existing and len(t) <= MAX_TERM_LEN]
    if new:
        conn.execute(insert(term_stats), new)
    for t in terms:
        if t in existing:
            conn.execute(update(term_stats).where(term_stats.c.term == t).values(df=dfs[t]))
