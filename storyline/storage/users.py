"""Queries on user accounts, their browser sessions and their API tokens. Secrets are
never stored: sessions and tokens by the SHA-256 of their value, passwords as the
argon2 hash ``storyline.accounts.passwords`` makes. The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from storyline.storage.prepared import Prepared
from storyline.storage.schema import (
    UTCDateTime,
    api_tokens,
    subscription_folders,
    subscriptions,
    user_sessions,
    users,
)


@dataclass(slots=True, frozen=True)
class User:
    id: int
    name: str
    created_at: datetime
    password_changed_at: datetime

    def __repr__(self) -> str:  # never the hash
        return f"User(id={self.id}, name={self.name!r})"


_USER_COLUMNS = (users.c.id, users.c.name, users.c.created_at, users.c.password_changed_at)


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(m["id"], m["name"], m["created_at"], m["password_changed_at"])


def add(conn: Connection, name: str, password_hash: str, now: datetime) -> User:
    conn.execute(insert(users).values(name=name, password_hash=password_hash,
                                      created_at=now, password_changed_at=now))
    user = get_by_name(conn, name)
    assert user is not None
    return user


def get(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def get_by_name(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(users.c.name == name)).first()
    return _user(row) if row else None


def password_hash(conn: Connection, user_id: int) -> str | None:
    return conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()


def list_all(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(*_USER_COLUMNS).order_by(users.c.name))]


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar() or 0)


def set_password(conn: Connection, user_id: int, password_hash: str, now: datetime) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(
        password_hash=password_hash, password_changed_at=now))


def remove(conn: Connection, user_id: int) -> bool:
    """Delete the user and (by cascade) everything of theirs."""
    # Explicit deletes too: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON.
    conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id))
    conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id))
    conn.execute(delete(subscription_folders).where(subscription_folders.c.user_id == user_id))
    conn.execute(delete(subscriptions).where(subscriptions.c.user_id == user_id))
    return conn.execute(delete(users).where(users.c.id == user_id)).rowcount > 0


# --- sessions -------------------------------------------------------------------------


def add_session(conn: Connection, *, token_hash: str, user_id: int, csrf: str,
                now: datetime, expires_at: datetime) -> None:
    conn.execute(insert(user_sessions).values(token_hash=token_hash, user_id=user_id,
                                              csrf=csrf, created_at=now,
                                              expires_at=expires_at))


# Prepared: every signed-in request runs it (SQLAlchemy's per-execution work cost more
# than the indexed lookup itself).
_SESSION = Prepared(
    select(*_USER_COLUMNS, user_sessions.c.csrf, users.c.state_version)
    .select_from(user_sessions.join(users, users.c.id == user_sessions.c.user_id))
    .where(user_sessions.c.token_hash == bindparam("token_hash"),
           user_sessions.c.expires_at > bindparam("now", type_=UTCDateTime)))


def session(conn: Connection, token_hash: str, now: datetime) -> tuple[User, str, int] | None:
    """The user, CSRF token and state version (``users.state_version``) of a live
    session (one indexed lookup)."""
    row = _SESSION.first(conn, {"token_hash": token_hash, "now": now})
    return (User(*row[:4]), row[4], int(row[5])) if row else None


def remove_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(user_sessions).where(user_sessions.c.token_hash == token_hash))


def remove_sessions(conn: Connection, user_id: int) -> int:
    return conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id)).rowcount


def prune_sessions(conn: Connection, now: datetime) -> int:
    return conn.execute(delete(user_sessions).where(user_sessions.c.expires_at <= now)).rowcount


# --- API tokens -----------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Token:
    id: int
    user_id: int
    kind: str
    label: str
    created_at: datetime
    last_used: datetime | None


_TOKEN_COLUMNS = (api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.kind, api_tokens.c.label,
                  api_tokens.c.created_at, api_tokens.c.last_used)


def add_token(conn: Connection, *, user_id: int, token_hash: str, kind: str, label: str,
              now: datetime) -> int:
    result = conn.execute(insert(api_tokens).values(user_id=user_id, token_hash=token_hash,
                                                    kind=kind, label=label, created_at=now))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def token_user(conn: Connection, token_hash: str) -> tuple[User, Token] | None:
    row = conn.execute(select(*_TOKEN_COLUMNS, users.c.name, users.c.created_at.label("uc"),
                              users.c.password_changed_at)
                       .join(users, users.c.id == api_tokens.c.user_id)
                       .where(api_tokens.c.token_hash == token_hash)).first()
    if row is None:
        return None
    return (User(row.user_id, row.name, row.uc, row.password_changed_at),
            Token(row.id, row.user_id, row.kind, row.label, row.created_at, row.last_used))


def touch_token(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used=now))


def tokens_of(conn: Connection, user_id: int) -> list[Token]:
    return [Token(*r) for r in conn.execute(select(*_TOKEN_COLUMNS)
                                            .where(api_tokens.c.user_id == user_id)
                                            .order_by(api_tokens.c.id))]


def remove_token(conn: Connection, user_id: int, token_id: int) -> bool:
    return conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id,
                                                 api_tokens.c.id == token_id)).rowcount > 0


def remove_tokens(conn: Connection, user_id: int, kind: str) -> int:
    return conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id,
                                                 api_tokens.c.kind == kind)).rowcount
