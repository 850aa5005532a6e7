"""Queries on article vectors: the embeddings and signals clustering stores per article,
content hash and model version. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from storyline.storage.schema import article_vectors, articles, story_members

_NO_TIME = datetime.min.replace(tzinfo=UTC)  # sorts the undated (last, by the flag first)


def versions(conn: Connection, article_ids: Sequence[int]) -> dict[int, Any]:
    """What each stored vector was computed from: ``content_hash``, ``model`` and
    ``signals_version`` by article id (articles without vectors are absent)."""
    return {
        r.article_id: r for r in conn.execute(
            select(article_vectors.c.article_id, article_vectors.c.content_hash,
                   article_vectors.c.model, article_vectors.c.signals_version)
            .where(article_vectors.c.article_id.in_(article_ids)))
    }


def replace(conn: Connection, stale: Sequence[int], fresh: Sequence[dict[str, Any]]) -> None:
    """Delete the vectors of ``stale`` article ids, then insert the ``fresh`` rows."""
    if stale:
        conn.execute(delete(article_vectors).where(article_vectors.c.article_id.in_(stale)))
    if fresh:
        conn.execute(insert(article_vectors), list(fresh))


def _rep_query():  # type: ignore[no-untyped-def]
    return select(
        articles.c.id, articles.c.title, articles.c.outlet, articles.c.published,
        articles.c.fetched_at, articles.c.source_id, articles.c.duplicate_of,
        article_vectors.c.dense,
        article_vectors.c.title_dense, article_vectors.c.terms, article_vectors.c.entities,
        article_vectors.c.numbers,
    ).join(article_vectors, article_vectors.c.article_id == articles.c.id)


def article_reps(conn: Connection, article_ids: Sequence[int]) -> list[Any]:
    """Each article's clustering inputs (its fields joined with its vectors): ``id``,
    ``title``, ``outlet``, ``published``, ``fetched_at``, ``source_id``, ``duplicate_of``,
    ``dense``, ``title_dense``, ``terms``, ``entities``, ``numbers``."""
    return list(conn.execute(_rep_query().where(articles.c.id.in_(article_ids))))


def story_reps(conn: Connection, story_id: int) -> list[Any]:
    """As :func:`article_reps` for the members of a story, in publication order (rows
    also carry ``story_id``)."""
    return stories_reps(conn, [story_id])


def stories_reps(conn: Connection, story_ids: Sequence[int]) -> list[Any]:
    """As :func:`article_reps` for the members of several stories in one query: each row
    also carries ``story_id`` and ``weights`` (what it added to the story, packed, or
    None); rows come by story id, then in publication order."""
    if not story_ids:
        return []
    return list(conn.execute(
        _rep_query().add_columns(story_members.c.story_id, story_members.c.weights)
        .join(story_members, story_members.c.article_id == articles.c.id)
        .where(story_members.c.story_id.in_(list(story_ids)))
        .order_by(story_members.c.story_id,
                  func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
    ).all())


def story_signals(conn: Connection, story_id: int) -> list[Any]:
    """``dense`` and ``entities`` of every member of a story that has vectors."""
    return list(conn.execute(
        select(article_vectors.c.dense, article_vectors.c.entities)
        .join(story_members, story_members.c.article_id == article_vectors.c.article_id)
        .where(story_members.c.story_id == story_id)
    ).all())


def story_titled_vectors(conn: Connection, story_id: int) -> list[Any]:
    """``id``, ``title``, ``url``, ``published`` and ``dense`` of every member of a story
    that has vectors, in time order (undated last), then by URL and title (an imported
    article may have neither): an order of the articles themselves, never of their ids,
    which differ between runs that fetch in another order (sub-stories and their order
    follow from it)."""
    rows = list(conn.execute(
        select(articles.c.id, articles.c.title, articles.c.url, articles.c.published,
               article_vectors.c.dense)
        .join(story_members, story_members.c.article_id == articles.c.id)
        .join(article_vectors, article_vectors.c.article_id == articles.c.id)
        .where(story_members.c.story_id == story_id)
        .order_by(articles.c.id)  # the last tie-break (an article without URL or title)
    ).all())
    return sorted(rows, key=lambda r: (r.published is None, r.published or _NO_TIME,
                                       r.url or "", r.title or ""))
