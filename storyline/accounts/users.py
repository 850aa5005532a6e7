"""User accounts: create, list, remove, change passwords; check a sign-in; browser
sessions (a random cookie value, stored as its SHA-256, a CSRF token beside it) and API
tokens (random, shown once, stored as their SHA-256). One implementation behind
`storyline users …`, the web sign-in and the Google Reader API's ClientLogin."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from storyline.accounts import passwords
from storyline.storage import subscriptions as subscription_store
from storyline.storage import users as user_store
from storyline.storage.users import Token, User

__all__ = ["AccountError", "Session", "Token", "User", "add_user", "authenticate",
           "end_session", "issue_token", "list_users", "new_session", "normalize_name",
           "remove_user", "revoke_token", "session_of", "session_on", "set_password",
           "token_owner"]

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
TOKEN_KINDS = ("api", "greader")
TOKEN_PREFIX = {"api": "sl_", "greader": "slg_"}


class AccountError(ValueError):
    """A user mistake about accounts (bad name, unknown user, bad password)."""


def normalize_name(name: str) -> str:
    """Names are case-insensitive: stored lower-case; letters, digits and ._@- only."""
    value = name.strip().lower()
    if not NAME_RE.match(value):
        raise AccountError(f"not a usable user name: {name!r} (1-64 characters: letters, "
                           "digits, '.', '_', '@', '-'; starting with a letter or digit)")
    return value


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def add_user(engine: Engine, name: str, password: str) -> User:
    name = normalize_name(name)
    try:
        hashed = passwords.hash_password(password)
    except passwords.PasswordError as exc:
        raise AccountError(str(exc)) from None
    with engine.begin() as conn:
        if user_store.get_by_name(conn, name) is not None:
            raise AccountError(f"there is already a user {name!r}")
        user = user_store.add(conn, name, hashed, _now())
        # A new reader starts with every feed the site has, in the site's folders.
        subscription_store.subscribe_to_all(conn, user.id, _now())
        return user


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return user_store.list_all(conn)


def get_user(engine: Engine, name: str) -> User:
    with engine.connect() as conn:
        user = user_store.get_by_name(conn, normalize_name(name))
    if user is None:
        raise AccountError(f"no user {name!r} (see `storyline users list`)")
    return user


def remove_user(engine: Engine, name: str) -> User:
    user = get_user(engine, name)
    with engine.begin() as conn:
        user_store.remove(conn, user.id)
    return user


def set_password(engine: Engine, name: str, password: str) -> User:
    """A new password; every session and Google Reader login of the user ends (API
    tokens stay: they are not the password)."""
    user = get_user(engine, name)
    try:
        hashed = passwords.hash_password(password)
    except passwords.PasswordError as exc:
        raise AccountError(str(exc)) from None
    with engine.begin() as conn:
        user_store.set_password(conn, user.id, hashed, _now())
        user_store.remove_sessions(conn, user.id)
        user_store.remove_tokens(conn, user.id, "greader")
    return user


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs; None otherwise (as slow for an unknown
    name as for a wrong password). Upgrades an old-parameter hash."""
    try:
        key = normalize_name(name)
    except AccountError:
        passwords.verify(passwords.dummy_hash(), password)
        return None
    with engine.connect() as conn:
        user = user_store.get_by_name(conn, key)
        hashed = user_store.password_hash(conn, user.id) if user else None
    if user is None or hashed is None:
        passwords.verify(passwords.dummy_hash(), password)
        return None
    if not passwords.verify(hashed, password):
        return None
    if passwords.needs_rehash(hashed):
        with engine.begin() as conn:
            user_store.set_password(conn, user.id, passwords.hasher().hash(password),
                                    user.password_changed_at)
    return user


# --- sessions ---------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Session:
    user: User
    csrf: str
    state: int  # the user's state version (``users.state_version``) at the lookup


def new_session(engine: Engine, user: User, days: int) -> tuple[str, str]:
    """A new session: (cookie value, CSRF token). Never reuses a value the client sent
    (no session fixation): every sign-in makes a fresh one."""
    value = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    with engine.begin() as conn:
        user_store.prune_sessions(conn, now)
        user_store.add_session(conn, token_hash=digest(value), user_id=user.id, csrf=csrf,
                               now=now, expires_at=now + timedelta(days=days))
    return value, csrf


def session_of(engine: Engine, value: str) -> Session | None:
    if not value or len(value) > 200:
        return None
    with engine.connect() as conn:
        return session_on(conn, value)


def session_on(conn: Connection, value: str) -> Session | None:
    """``session_of`` on a connection the caller holds (one indexed lookup)."""
    if not value or len(value) > 200:
        return None
    found = user_store.session(conn, digest(value), _now())
    return Session(*found) if found else None


def end_session(engine: Engine, value: str) -> None:
    with engine.begin() as conn:
        user_store.remove_session(conn, digest(value))


# --- API tokens -------------------------------------------------------------------------


def issue_token(engine: Engine, user: User, kind: str = "api", label: str = "") -> str:
    """A new token for ``user`` (shown once; only its hash is kept)."""
    if kind not in TOKEN_KINDS:
        raise AccountError(f"unknown token kind {kind!r}")
    value = TOKEN_PREFIX[kind] + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        user_store.add_token(conn, user_id=user.id, token_hash=digest(value), kind=kind,
                             label=label.strip()[:200] or kind, now=_now())
    return value


def token_owner(engine: Engine, value: str) -> User | None:
    """The user a token belongs to (its last use recorded at most once a minute)."""
    if not value or len(value) > 200:
        return None
    with engine.connect() as conn:
        found = user_store.token_user(conn, digest(value))
    if found is None:
        return None
    user, token = found
    now = _now()
    if token.last_used is None or now - token.last_used > timedelta(minutes=1):
        with engine.begin() as conn:
            user_store.touch_token(conn, token.id, now)
    return user


def tokens_of(engine: Engine, user: User) -> list[Token]:
    with engine.connect() as conn:
        return user_store.tokens_of(conn, user.id)


def revoke_token(engine: Engine, user: User, token_id: int) -> bool:
    with engine.begin() as conn:
        return user_store.remove_token(conn, user.id, token_id)
