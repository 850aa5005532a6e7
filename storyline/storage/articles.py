"""Queries on articles, their near-duplicate bands and tombstones. Caller owns the
transaction."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select

from storyline.models import ArticleIn
from storyline.storage.schema import article_bands, articles, sources, tombstones

PUBLIC_FIELDS = (
    "id", "title", "text", "outlet", "url", "original_url", "guid", "external_id",
    "source_id", "byline", "published", "fetched_at", "language", "image_url",
    "image_caption", "image_credit", "content_hash", "extraction_method",
    "inferred_fields", "links", "duplicate_of", "duplicate_kind", "similarity", "is_flagged",
)


def exists(conn: Connection, identity: str) -> int | None:
    return conn.execute(select(articles.c.id).where(articles.c.identity == identity)).scalar()


def is_tombstoned(conn: Connection, identity: str) -> bool:
    return conn.execute(
        select(tombstones.c.identity).where(tombstones.c.identity == identity)
    ).first() is not None


def root_of(conn: Connection, article_id: int) -> int:
    dup = conn.execute(select(articles.c.duplicate_of).where(articles.c.id == article_id)).scalar()
    return int(dup) if dup else article_id


def first_with_hash(conn: Connection, content_hash: str) -> int | None:
    return conn.execute(
        select(func.min(articles.c.id)).where(articles.c.content_hash == content_hash)
    ).scalar()


def _shifted(when: datetime, by: timedelta) -> datetime:
    """``when + by``, stopping at the first or last datetime instead of overflowing."""
    try:
        return when + by
    except OverflowError:
        end = datetime.max if by > timedelta(0) else datetime.min
        return end.replace(tzinfo=when.tzinfo)


def band_candidates(conn: Connection, buckets: list[tuple[int, int]],
                    published: datetime | None, window: timedelta) -> list[tuple[int, bytes]]:
    """Articles sharing at least one LSH band bucket, within the time window."""
    if not buckets:
        return []
    cond = or_(*[and_(article_bands.c.band == b, article_bands.c.bucket == h) for b, h in buckets])
    query = (
        select(articles.c.id, articles.c.minhash)
        .join(article_bands, article_bands.c.article_id == articles.c.id)
        .where(cond)
        .distinct()
    )
    if published is not None:
        query = query.where(or_(
            articles.c.published.is_(None),
            and_(articles.c.published >= _shifted(published, -window),
                 articles.c.published <= _shifted(published, window)),
        ))
    return [(r.id, r.minhash) for r in conn.execute(query).all() if r.minhash]


def insert_article(conn: Connection, art: ArticleIn, *, identity: str, content_hash: str,
                   fetched_at: datetime, minhash: bytes | None,
                   buckets: list[tuple[int, int]], duplicate_of: int | None,
                   duplicate_kind: str | None, similarity: float | None,
                   flagged: bool = False) -> int:
    result = conn.execute(insert(articles).values(
        identity=identity, url=art.url, original_url=art.original_url, guid=art.guid,
        external_id=art.external_id, source_id=art.source_id, outlet=art.outlet,
        title=art.title, byline=art.byline, published=art.published, fetched_at=fetched_at,
        language=art.language, image_url=art.image_url, image_caption=art.image_caption,
        image_credit=art.image_credit, text=art.text, content_hash=content_hash,
        extraction_method=art.extraction_method,
        inferred_fields=json.dumps(sorted(set(art.inferred_fields))),
        links=json.dumps(art.links[:200]), minhash=minhash, duplicate_of=duplicate_of,
        duplicate_kind=duplicate_kind, similarity=similarity, is_flagged=flagged,
    ))
    key = result.inserted_primary_key
    assert key is not None
    article_id = int(key[0])
    if buckets:
        conn.execute(insert(article_bands), [
            {"article_id": article_id, "band": b, "bucket": h} for b, h in buckets
        ])
    return article_id


def _to_dict(row: Any) -> dict[str, Any]:
    m = row._mapping
    out = {k: m[k] for k in PUBLIC_FIELDS}
    out["inferred_fields"] = json.loads(out["inferred_fields"] or "[]")
    out["links"] = json.loads(out["links"] or "[]")
    out["source"] = m.get("source_url")
    return out


def _base_query():  # type: ignore[no-untyped-def]
    cols = [articles.c[name] for name in PUBLIC_FIELDS]
    return select(*cols, sources.c.url.label("source_url")).outerjoin(
        sources, sources.c.id == articles.c.source_id
    )


def get(conn: Connection, article_id: int) -> dict[str, Any] | None:
    row = conn.execute(_base_query().where(articles.c.id == article_id)).first()
    return _to_dict(row) if row else None


def list_articles(conn: Connection, *, limit: int | None = None, offset: int = 0,
                  source_id: int | None = None, include_flagged: bool = False,
                  newest_first: bool = False) -> list[dict[str, Any]]:
    query = _base_query()
    if source_id is not None:
        query = query.where(articles.c.source_id == source_id)
    if not include_flagged:
        query = query.where(articles.c.is_flagged.is_(False))
    order = articles.c.id.desc() if newest_first else articles.c.id
    query = query.order_by(order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [_to_dict(r) for r in conn.execute(query).all()]


def count(conn: Connection, *, duplicates: bool | None = None) -> int:
    query = select(func.count()).select_from(articles)
    if duplicates is True:
        query = query.where(articles.c.duplicate_of.is_not(None))
    elif duplicates is False:
        query = query.where(articles.c.duplicate_of.is_(None))
    return int(conn.execute(query).scalar() or 0)


def delete_article(conn: Connection, article_id: int, now: datetime) -> bool:
    """Delete an article and leave a tombstone so a re-fetch does not bring it back."""
    identity = conn.execute(
        select(articles.c.identity).where(articles.c.id == article_id)
    ).scalar()
    if identity is None:
        return False
    # Copies that pointed at it now point at the earliest remaining copy.
    dups = [r.id for r in conn.execute(
        select(articles.c.id).where(articles.c.duplicate_of == article_id).order_by(articles.c.id)
    ).all()]
    if dups:
        new_root, rest = dups[0], dups[1:]
        conn.execute(articles.update().where(articles.c.id == new_root)
                     .values(duplicate_of=None, duplicate_kind=None, similarity=None))
        if rest:
            conn.execute(articles.update().where(articles.c.id.in_(rest))
                         .values(duplicate_of=new_root))
    conn.execute(delete(article_bands).where(article_bands.c.article_id == article_id))
    conn.execute(delete(articles).where(articles.c.id == article_id))
    if not is_tombstoned(conn, identity):
        conn.execute(insert(tombstones).values(identity=identity, deleted_at=now))
    return True
