"""Queries on categories (folders of feeds, as OPML has them): a feed can be in several.
The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, insert, select

from storyline.storage.schema import categories, source_categories, sources


def ensure(conn: Connection, name: str) -> int:
    """The id of the category ``name``, created when new."""
    found = conn.execute(select(categories.c.id).where(categories.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(categories).values(name=name))
               .inserted_primary_key[0])  # type: ignore[index]


def get_id(conn: Connection, name: str) -> int | None:
    return conn.execute(select(categories.c.id).where(
        func.lower(categories.c.name) == name.lower())).scalar()


def name_of(conn: Connection, category_id: int) -> str | None:
    return conn.execute(select(categories.c.name).where(categories.c.id == category_id)).scalar()


def add_feed(conn: Connection, source_id: int, names: Iterable[str]) -> None:
    """Put the feed into each of the categories ``names`` (created when new)."""
    have = set(categories_of(conn, source_id))
    for name in names:
        if name in have:
            continue
        cid = ensure(conn, name)
        conn.execute(insert(source_categories).values(source_id=source_id, category_id=cid))
        have.add(name)


def remove_feed(conn: Connection, source_id: int, name: str) -> bool:
    cid = get_id(conn, name)
    if cid is None:
        return False
    return conn.execute(delete(source_categories).where(
        source_categories.c.source_id == source_id,
        source_categories.c.category_id == cid)).rowcount > 0


def categories_of(conn: Connection, source_id: int) -> list[str]:
    return list(conn.execute(
        select(categories.c.name).join(source_categories,
                                       source_categories.c.category_id == categories.c.id)
        .where(source_categories.c.source_id == source_id)
        .order_by(categories.c.name)).scalars())


def by_source(conn: Connection) -> dict[int, list[str]]:
    """Every feed's categories, by feed id."""
    out: dict[int, list[str]] = {}
    for r in conn.execute(select(source_categories.c.source_id, categories.c.name)
                          .join(categories,
                                categories.c.id == source_categories.c.category_id)
                          .order_by(categories.c.name)):
        out.setdefault(r.source_id, []).append(r.name)
    return out


def list_used(conn: Connection) -> list[tuple[str, int]]:
    """Categories that hold at least one feed, with their feed counts, by name."""
    return [(r.name, r.n) for r in conn.execute(
        select(categories.c.name, func.count(source_categories.c.source_id).label("n"))
        .join(source_categories, source_categories.c.category_id == categories.c.id)
        .join(sources, sources.c.id == source_categories.c.source_id)
        .group_by(categories.c.name).order_by(categories.c.name))]


def source_ids(conn: Connection, name: str) -> list[int]:
    cid = get_id(conn, name)
    if cid is None:
        return []
    return list(conn.execute(select(source_categories.c.source_id)
                             .where(source_categories.c.category_id == cid)).scalars())


def rename(conn: Connection, old: str, new: str) -> bool:
    cid = get_id(conn, old)
    if cid is None:
        return False
    target = get_id(conn, new)
    if target is not None and target != cid:  # merge into the existing one
        for sid in source_ids(conn, old):
            if new not in categories_of(conn, sid):
                conn.execute(insert(source_categories).values(source_id=sid,
                                                              category_id=target))
        conn.execute(delete(source_categories).where(source_categories.c.category_id == cid))
        conn.execute(delete(categories).where(categories.c.id == cid))
        return True
    from sqlalchemy import update

    conn.execute(update(categories).where(categories.c.id == cid).values(name=new))
    return True


def remove(conn: Connection, name: str) -> bool:
    cid = get_id(conn, name)
    if cid is None:
        return False
    conn.execute(delete(source_categories).where(source_categories.c.category_id == cid))
    conn.execute(delete(categories).where(categories.c.id == cid))
    return True
