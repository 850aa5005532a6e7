"""Queries on each reader's own subscriptions: which feeds a user follows, under which
title, in which of their folders. A feed (``sources``) is one row fetched once for all;
a subscription is a user's link to it. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from storyline.storage.schema import articles, sources, subscription_folders, subscriptions, users
from storyline.storage.sources import Source, _row_to_source


@dataclass(slots=True)
class Subscription:
    """A user's subscription: the feed, the user's title for it (None: the feed's own)
    and the user's folders it is in."""

    source: Source
    title: str | None
    created_at: datetime
    folders: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.title or self.source.name


def _is_subscribed(conn: Connection, user_id: int, source_id: int) -> bool:
    return conn.execute(select(subscriptions.c.source_id).where(
        subscriptions.c.user_id == user_id,
        subscriptions.c.source_id == source_id)).first() is not None


def subscribe(conn: Connection, user_id: int, source_id: int, now: datetime, *,
              title: str | None = None, folders: Iterable[str] = ()) -> bool:
    """Subscribe the user to the feed (kept as it is when already subscribed: the
    folders are added, the title set when given); True when new."""
    created = not _is_subscribed(conn, user_id, source_id)
    if created:
        conn.execute(insert(subscriptions).values(user_id=user_id, source_id=source_id,
                                                  title=title, created_at=now))
    elif title:
        set_title(conn, user_id, source_id, title)
    add_folders(conn, user_id, source_id, folders)
    return created


def subscribe_everyone(conn: Connection, source_id: int, now: datetime, *,
                       folders: Iterable[str] = ()) -> int:
    """Subscribe every user not yet subscribed to the feed, in ``folders`` (a feed the
    operator adds is everyone's; those already subscribed keep their own folders);
    returns how many were."""
    have = set(subscribers(conn, source_id))
    new = [uid for uid in conn.execute(select(users.c.id)).scalars() if uid not in have]
    for uid in new:
        subscribe(conn, uid, source_id, now, folders=folders)
    return len(new)


def subscribe_to_all(conn: Connection, user_id: int, now: datetime) -> int:
    """Subscribe a (new) user to every feed there is, in the site's folders."""
    from storyline.storage import categories as category_store

    have = set(source_ids(conn, user_id))
    folders = category_store.by_source(conn)
    done = 0
    for sid in conn.execute(select(sources.c.id).order_by(sources.c.id)).scalars():
        if sid not in have:
            subscribe(conn, user_id, sid, now, folders=folders.get(sid, []))
            done += 1
    return done


def unsubscribe(conn: Connection, user_id: int, source_id: int) -> bool:
    conn.execute(delete(subscription_folders).where(
        subscription_folders.c.user_id == user_id,
        subscription_folders.c.source_id == source_id))
    return conn.execute(delete(subscriptions).where(
        subscriptions.c.user_id == user_id,
        subscriptions.c.source_id == source_id)).rowcount > 0


def subscribers(conn: Connection, source_id: int) -> list[int]:
    return list(conn.execute(select(subscriptions.c.user_id)
                             .where(subscriptions.c.source_id == source_id)).scalars())


def source_ids(conn: Connection, user_id: int) -> list[int]:
    """The feeds the user follows."""
    return list(conn.execute(select(subscriptions.c.source_id)
                             .where(subscriptions.c.user_id == user_id)
                             .order_by(subscriptions.c.source_id)).scalars())


def get(conn: Connection, user_id: int, source_id: int) -> Subscription | None:
    found = [s for s in list_for(conn, user_id, only=[source_id])]
    return found[0] if found else None


def list_for(conn: Connection, user_id: int, only: Sequence[int] | None = None
             ) -> list[Subscription]:
    """The user's subscriptions, with article counts and folders, by feed id."""
    counts = (select(articles.c.source_id, func.count().label("n"))
              .group_by(articles.c.source_id).subquery())
    sel = (select(sources, func.coalesce(counts.c.n, 0).label("article_count"),
                  subscriptions.c.title.label("sub_title"),
                  subscriptions.c.created_at.label("sub_created"))
           .join(subscriptions, subscriptions.c.source_id == sources.c.id)
           .outerjoin(counts, counts.c.source_id == sources.c.id)
           .where(subscriptions.c.user_id == user_id).order_by(sources.c.id))
    if only is not None:
        sel = sel.where(sources.c.id.in_(list(only)))
    folders = folders_by_source(conn, user_id)
    return [Subscription(_row_to_source(r, r._mapping["article_count"]), r.sub_title,
                         r.sub_created, folders.get(r.id, [])) for r in conn.execute(sel)]


def titles(conn: Connection, user_id: int) -> dict[int, str]:
    """The user's own titles of their feeds (those they gave one), by feed id."""
    return {r.source_id: r.title for r in conn.execute(
        select(subscriptions.c.source_id, subscriptions.c.title)
        .where(subscriptions.c.user_id == user_id, subscriptions.c.title.is_not(None)))}


def set_title(conn: Connection, user_id: int, source_id: int, title: str | None) -> bool:
    return conn.execute(update(subscriptions).where(
        subscriptions.c.user_id == user_id, subscriptions.c.source_id == source_id)
        .values(title=title or None)).rowcount > 0


# --- the user's folders ---------------------------------------------------------------------


def add_folders(conn: Connection, user_id: int, source_id: int, names: Iterable[str]) -> None:
    have = set(folders_of(conn, user_id, source_id))
    new = [n for n in dict.fromkeys(names) if n and n not in have]
    if new:
        conn.execute(insert(subscription_folders), [
            {"user_id": user_id, "source_id": source_id, "name": n} for n in new])


def remove_folder(conn: Connection, user_id: int, source_id: int, name: str) -> bool:
    return conn.execute(delete(subscription_folders).where(
        subscription_folders.c.user_id == user_id,
        subscription_folders.c.source_id == source_id,
        func.lower(subscription_folders.c.name) == name.lower())).rowcount > 0


def set_folders(conn: Connection, user_id: int, source_id: int, names: Sequence[str]) -> None:
    for old in folders_of(conn, user_id, source_id):
        if old not in names:
            remove_folder(conn, user_id, source_id, old)
    add_folders(conn, user_id, source_id, names)


def folders_of(conn: Connection, user_id: int, source_id: int) -> list[str]:
    return list(conn.execute(select(subscription_folders.c.name).where(
        subscription_folders.c.user_id == user_id,
        subscription_folders.c.source_id == source_id)
        .order_by(subscription_folders.c.name)).scalars())


def folders_by_source(conn: Connection, user_id: int) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for r in conn.execute(select(subscription_folders.c.source_id, subscription_folders.c.name)
                          .where(subscription_folders.c.user_id == user_id)
                          .order_by(subscription_folders.c.name)):
        out.setdefault(r.source_id, []).append(r.name)
    return out


def folder_names(conn: Connection, user_id: int) -> list[str]:
    """The user's folders that hold a feed, by name."""
    return list(conn.execute(select(subscription_folders.c.name).distinct()
                             .where(subscription_folders.c.user_id == user_id)
                             .order_by(subscription_folders.c.name)).scalars())


def folder_source_ids(conn: Connection, user_id: int, name: str) -> list[int]:
    return list(conn.execute(select(subscription_folders.c.source_id).where(
        subscription_folders.c.user_id == user_id,
        func.lower(subscription_folders.c.name) == name.lower())).scalars())


def rename_folder(conn: Connection, user_id: int, old: str, new: str) -> bool:
    """Rename one of the user's folders (merged into ``new`` when the user has one)."""
    ids = folder_source_ids(conn, user_id, old)
    if not ids:
        return False
    for sid in ids:
        remove_folder(conn, user_id, sid, old)
        add_folders(conn, user_id, sid, [new])
    return True


def remove_folder_everywhere(conn: Connection, user_id: int, name: str) -> bool:
    """Drop one of the user's folders (its feeds stay subscribed)."""
    return conn.execute(delete(subscription_folders).where(
        subscription_folders.c.user_id == user_id,
        func.lower(subscription_folders.c.name) == name.lower())).rowcount > 0
