"""The store stage: identity, dedup and insertion of one article, atomically.

An article's identity is a hash of its canonical URL, else its GUID within its feed,
else its content. Re-ingesting the same article is a no-op (idempotent); a deleted one
is not resurrected (tombstones). Exact and near-duplicates are stored too, with
``duplicate_of`` pointing at the first copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from storyline.ingest import dedup
from storyline.models import ArticleIn
from storyline.storage import articles as article_store

MAX_TITLE = 500


@dataclass(slots=True)
class IngestResult:
    status: str  # new | duplicate | near-duplicate | exists | tombstoned | rejected
    article_id: int | None = None
    duplicate_of: int | None = None
    similarity: float | None = None
    reason: str | None = None

    @property
    def stored(self) -> bool:
        return self.status in {"new", "duplicate", "near-duplicate"}


def identity_for(art: ArticleIn, content_hash: str) -> str:
    if art.external_id:  # a data set's own id (JSONL import) names the article
        key = "ext:" + art.external_id
    elif art.url:
        key = "url:" + art.url
    elif art.guid and art.source_id is not None:
        key = f"guid:{art.source_id}:{art.guid}"
    else:
        key = "text:" + content_hash
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def ingest(
    conn: Connection,
    art: ArticleIn,
    *,
    now: datetime | None = None,
    near_threshold: float = 0.6,
    window_days: int = 14,
    flagged: bool = False,
) -> IngestResult:
    """Store ``art`` unless it is already there. Runs inside the caller's transaction."""
    now = now or datetime.now(UTC)
    art.title = " ".join((art.title or "").split())[:MAX_TITLE]
    art.text = (art.text or "").strip()
    if not art.title and not art.text:
        return IngestResult("rejected", reason="no title and no text")
    if not art.title:
        art.title = " ".join(art.text.split()[:12])
    chash = dedup.content_hash(art.title, art.text)
    identity = identity_for(art, chash)
    existing = article_store.exists(conn, identity)
    if existing is not None:
        return IngestResult("exists", article_id=existing)
    if article_store.is_tombstoned(conn, identity):
        return IngestResult("tombstoned", reason="deleted earlier")

    sig = dedup.signature(art.text)
    buckets = dedup.band_buckets(sig) if sig is not None else []
    duplicate_of: int | None = None
    kind: str | None = None
    similarity: float | None = None

    first = article_store.first_with_hash(conn, chash)
    if first is not None:
        duplicate_of, kind, similarity = article_store.root_of(conn, first), "exact", 1.0
    elif sig is not None:
        candidates = article_store.band_candidates(
            conn, buckets, art.published, timedelta(days=window_days)
        )
        match = dedup.best_match(sig, candidates, near_threshold)
        if match is not None:
            duplicate_of = article_store.root_of(conn, match[0])
            kind, similarity = "near", round(match[1], 4)

    article_id = article_store.insert_article(
        conn, art, identity=identity, content_hash=chash, fetched_at=now,
        minhash=dedup.to_bytes(sig) if sig is not None else None, buckets=buckets,
        duplicate_of=duplicate_of, duplicate_kind=kind, similarity=similarity, flagged=flagged,
    )
    status = {None: "new", "exact": "duplicate", "near": "near-duplicate"}[kind]
    return IngestResult(status, article_id=article_id, duplicate_of=duplicate_of,
                        similarity=similarity)
