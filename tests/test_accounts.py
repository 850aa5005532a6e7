"""Accounts: `storyline users …` (argon2 hashes, --password-stdin), and the web sign-in
with its protections: session cookies (HttpOnly, SameSite, Secure over HTTPS), no session
fixation, CSRF on every form, rate-limited sign-in, hashes never shown, anonymous reading
as a setting, the admin token still working. In-process over a real database (SQLite, or
PostgreSQL with --backend postgresql)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from storyline.accounts import users as accounts
from storyline.settings import load_settings
from storyline.storage.schema import user_sessions, users
from storyline.web import create_app
from tests.helpers import Cli
from tests.readerdata import build

PASSWORD = "correct horse battery"
ADMIN = "the-admin-token"


def test_users_cli(cli: Cli, engine: Engine) -> None:
    out = cli("users", "add", "Alice", "--password-stdin", input=PASSWORD + "\n").output
    assert "Added user alice" in out
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate(engine, "ALICE", PASSWORD) is not None
    assert accounts.authenticate(engine, "alice", "wrong password") is None
    dup = cli("users", "add", "alice", "--password-stdin", input="another pass\n", ok=False)
    assert dup.exit_code == 1 and "already a user 'alice'" in dup.output
    short = cli("users", "add", "bob", "--password-stdin", input="short\n", ok=False)
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    bad = cli("users", "add", "no spaces please", "--password-stdin", input=PASSWORD + "\n",
              ok=False)
    assert bad.exit_code == 1 and "not a usable user name" in bad.output
    empty = cli("users", "add", "carol", "--password-stdin", input="", ok=False)
    assert empty.exit_code == 1 and "no password on standard input" in empty.output
    assert "Traceback" not in dup.output + short.output + bad.output + empty.output
    listed = cli("users", "list", "--json").output
    assert '"name": "alice"' in listed and "argon2" not in listed
    assert "argon2" not in cli("config", "show").output
    cli("users", "passwd", "alice", "--password-stdin", input="a new password\n")
    assert accounts.authenticate(engine, "alice", PASSWORD) is None
    assert accounts.authenticate(engine, "alice", "a new password") is not None
    token = cli("users", "token", "alice", "--label", "script").output.strip()
    assert token.startswith("sl_") and accounts.token_owner(engine, token).name == "alice"
    assert "Removed user alice" in cli("users", "remove", "alice").output
    assert accounts.token_owner(engine, token) is None
    gone = cli("users", "remove", "alice", ok=False)
    assert gone.exit_code == 1 and "no user 'alice'" in gone.output


def make_client(engine: Engine, tmp_path: Path, *, https: bool = False, **env: str
                ) -> TestClient:
    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "data"),
                                  "STORYLINE_CONFIG": "", "STORYLINE_ADMIN_TOKEN": ADMIN,
                                  "STORYLINE_ALLOW_PRIVATE_FEEDS": "true", **env})
    base = "https://testserver" if https else "http://testserver"
    return TestClient(create_app(settings, engine, cache_ttl=0), base_url=base)


def form_token(html: str, name: str = "csrf") -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def sign_in(client: TestClient, name: str = "alice", password: str = PASSWORD) -> Any:
    page = client.get("/signin")
    return client.post("/signin", data={"name": name, "password": password,
                                        "csrf": form_token(page.text), "next": "/feeds"},
                       follow_redirects=False)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Any:
    build(engine)
    accounts.add_user(engine, "alice", PASSWORD)
    accounts.add_user(engine, "bob", PASSWORD)
    return engine


def test_sign_in_cookie_and_sign_out(site: Engine, tmp_path: Path,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with make_client(site, tmp_path, https=True) as client:
        r = sign_in(client)
        assert r.status_code == 303 and r.headers["location"] == "/feeds"
        cookie = next(c for c in r.headers.get_list("set-cookie")
                      if c.startswith("storyline_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
        home = client.get("/")
        assert 'href="/account">alice</a>' in home.text and "Sign out" in home.text
        assert home.headers["cache-control"] == "private, no-store"
        csrf = form_token(home.text)
        # Sign-out needs the CSRF token.
        assert client.post("/signout", data={"csrf": "forged"}).status_code == 403
        out = client.post("/signout", data={"csrf": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert 'href="/signin">Sign in</a>' in client.get("/").text
    with make_client(site, tmp_path) as plain:  # over http the cookie is not Secure
        r = sign_in(plain)
        cookie = next(c for c in r.headers.get_list("set-cookie")
                      if c.startswith("storyline_session="))
        assert "Secure" not in cookie and "HttpOnly" in cookie
        wrong = sign_in(plain, password="not the password")
        assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    with site.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalars().all()
    logged = caplog.text
    assert all(h not in logged for h in stored) and "$argon2" not in logged
    assert PASSWORD not in logged


def test_no_session_fixation(site: Engine, tmp_path: Path) -> None:
    with make_client(site, tmp_path) as client:
        planted = "attacker-chosen-session-value-1234567890"
        client.cookies.set("storyline_session", planted)
        r = sign_in(client)
        value = r.cookies.get("storyline_session")
        assert value and value != planted
        # A session the attacker saw before the sign-in does not become signed in.
        first = value
        client.cookies.set("storyline_session", first)
        again = sign_in(client)
        second = again.cookies.get("storyline_session")
        assert second and second != first
        assert accounts.session_of(site, first) is None  # the old one ended
        assert accounts.session_of(site, second).user.name == "alice"  # type: ignore[union-attr]
    with site.connect() as conn:  # only hashes are stored
        hashes = conn.execute(select(user_sessions.c.token_hash)).scalars().all()
    assert second not in hashes and all(len(h) == 64 for h in hashes)


def test_csrf_on_every_form(site: Engine, tmp_path: Path) -> None:
    with make_client(site, tmp_path) as client:
        # The sign-in form itself: no token, a forged one, another site's Origin.
        assert client.post("/signin", data={"name": "alice",
                                            "password": PASSWORD}).status_code == 403
        client.get("/signin")
        assert client.post("/signin", data={"name": "alice", "password": PASSWORD,
                                            "csrf": "forged-token-forged-token"}
                           ).status_code == 403
        sign_in(client)
        csrf = form_token(client.get("/account").text)
        forms = [("/signout", {}), ("/account/tokens", {"label": "x"}),
                 ("/account/tokens/1/revoke", {}),
                 ("/account/password", {"current": PASSWORD, "new": "another password"}),
                 ("/mutes/add", {"kind": "outlet", "value": "Wire"}),
                 ("/mutes/remove", {"kind": "outlet", "value": "Wire"}),
                 ("/mark-read", {}), ("/feeds/add", {"url": "http://127.0.0.1:9/f.xml"}),
                 ("/feeds/1/remove", {}), ("/feeds/1/folders", {"folders": "X"})]
        for path, data in forms:
            for token in (None, "forged"):
                body = {**data, **({"csrf": token} if token else {})}
                r = client.post(path, data=body, follow_redirects=False)
                assert r.status_code == 403, (path, token, r.status_code)
            cross = client.post(path, data={**data, "csrf": csrf}, follow_redirects=False,
                                headers={"Origin": "https://evil.example"})
            assert cross.status_code == 403, (path, "cross-site")
        r = client.post("/feeds/import", data={"csrf": "forged"},
                        files={"file": ("f.opml", b"<opml/>")})
        assert r.status_code == 403
        # With the token they work: nothing above was done.
        assert "Wire" not in client.get("/account").text.split('id="mutes"')[1].split(
            "</section>")[0].split("<datalist")[0]
        ok = client.post("/mutes/add", data={"csrf": csrf, "kind": "outlet", "value": "Wire"})
        assert ok.status_code == 200 and "Muted outlet “wire”" in ok.text
        assert accounts.session_of(site, client.cookies["storyline_session"]) is not None


def test_sign_in_is_rate_limited(site: Engine, tmp_path: Path) -> None:
    with make_client(site, tmp_path, STORYLINE_SIGNIN_ATTEMPTS="3",
                     STORYLINE_SIGNIN_WINDOW="600") as client:
        for _ in range(3):
            assert sign_in(client, password="wrong guess").status_code == 401
        blocked = sign_in(client)  # even the right password waits now
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 500
        gr = client.post("/greader/accounts/ClientLogin",
                         data={"Email": "alice", "Passwd": PASSWORD})
        assert gr.status_code == 429 and gr.text.startswith("Error=")
        # Per account too: another account from the same address is blocked (address).
        assert sign_in(client, name="bob").status_code == 429


def test_tokens_admin_token_and_anonymous_reading(site: Engine, tmp_path: Path) -> None:
    alice = accounts.get_user(site, "alice")
    token = accounts.issue_token(site, alice, "api", "t")
    with make_client(site, tmp_path, STORYLINE_ANONYMOUS_READING="false") as client:
        page = client.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/signin?next=%2F"
        assert client.get("/stories/1", follow_redirects=False).status_code == 303
        assert client.get("/api/top").status_code == 401
        assert client.get("/api/health").status_code == 200
        assert client.get("/signin").status_code == 200
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["name"] == "alice"
        top = client.get("/api/top", headers={"Authorization": f"Bearer {token}"}).json()
        assert [s["headline"] for s in top["stories"]][:1] and "reader" in top["stories"][0]
        # The admin token still works for automation.
        admin = {"Authorization": f"Bearer {ADMIN}"}
        assert client.get("/api/top", headers=admin).status_code == 200
        added = client.post("/api/feeds", json={"url": "http://127.0.0.1:9/a.xml"},
                            headers=admin)
        assert added.status_code == 201
        by_user = client.post("/api/feeds", json={"url": "http://127.0.0.1:9/b.xml"},
                              headers={"Authorization": f"Bearer {token}"})
        assert by_user.status_code == 201
        assert client.post("/api/feeds", json={"url": "http://127.0.0.1:9/c.xml"},
                           headers={"Authorization": "Bearer forged"}).status_code == 401
        # Signed in, the pages open.
        r = sign_in(client)
        assert r.status_code == 303
        assert client.get("/").status_code == 200
    with make_client(site, tmp_path) as anon:  # the default: anonymous reading
        assert anon.get("/").status_code == 200
        assert anon.get("/api/me").status_code == 401
        assert anon.post("/api/feeds", json={"url": "http://127.0.0.1:9/c.xml"},
                         headers={"Authorization": "Bearer forged"}).status_code == 403


def test_account_page_tokens_and_password(site: Engine, tmp_path: Path) -> None:
    with make_client(site, tmp_path) as client:
        sign_in(client)
        csrf = form_token(client.get("/account").text)
        made = client.post("/account/tokens", data={"csrf": csrf, "label": "phone"})
        token = re.search(r'<code class="new-token">([^<]+)</code>', made.text).group(1)
        assert accounts.token_owner(site, token).name == "alice"  # type: ignore[union-attr]
        tid = accounts.tokens_of(site, accounts.get_user(site, "alice"))[0].id
        client.post(f"/account/tokens/{tid}/revoke", data={"csrf": csrf})
        assert accounts.token_owner(site, token) is None
        wrong = client.post("/account/password", data={"csrf": csrf, "current": "nope",
                                                       "new": "whatever123"})
        assert wrong.status_code == 403
        changed = client.post("/account/password", data={
            "csrf": csrf, "current": PASSWORD, "new": "brand new password"})
        assert changed.status_code == 200 and "Password changed" in changed.text
        assert client.get("/account").status_code == 200  # this browser stays signed in
        assert accounts.authenticate(site, "alice", "brand new password") is not None


def test_revocation_is_immediate_on_every_server_process(site: Engine, tmp_path: Path) -> None:
    """Sessions are not cached: a sign-out, a password change or a removed user on one
    server process ends the session at once on another (two apps on one database)."""
    with make_client(site, tmp_path) as one, make_client(site, tmp_path) as other:
        for name in ("alice", "bob"):
            assert sign_in(one, name).status_code == 303
            value = one.cookies.get("storyline_session")
            assert value
            other.cookies.set("storyline_session", value)
            assert f">{name}</a>" in other.get("/").text  # signed in there too
            if name == "alice":  # signing out on one process...
                csrf = form_token(one.get("/account").text)
                assert one.post("/signout", data={"csrf": csrf},
                                follow_redirects=False).status_code == 303
            else:  # ...or a password change from the command line's code
                accounts.set_password(site, "bob", "another password")
            page = other.get("/").text  # ...ends it on the other at once
            assert f">{name}</a>" not in page and "/signin" in page
            assert other.get("/account", follow_redirects=False).status_code == 303
            one.cookies.clear()
            other.cookies.clear()
        assert sign_in(one, "alice").status_code == 303
        other.cookies.set("storyline_session", one.cookies.get("storyline_session") or "")
        accounts.remove_user(site, "alice")
        assert other.get("/account", follow_redirects=False).status_code == 303
