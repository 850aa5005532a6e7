"""`storyline users …`: reader accounts (web sign-in, Google Reader API clients)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from storyline.accounts import users as accounts
from storyline.cli.common import AppContext, UserError, echo_json_line, fmt_time, pass_app


def _password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or asked twice (hidden)."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise UserError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise UserError("standard input is not a terminal: give --password-stdin and the "
                        "password on standard input")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@contextmanager
def _account_errors() -> Iterator[None]:
    """An account mistake (bad name, unknown user, weak password) as a user error."""
    try:
        yield
    except accounts.AccountError as exc:
        raise UserError(str(exc)) from None


@click.group()
def users() -> None:
    """Add, list and remove reader accounts; change passwords; issue API tokens."""


@users.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@pass_app
def users_add(app: AppContext, name: str, password_stdin: bool) -> None:
    """Create the account NAME (the password is asked for, hidden, twice)."""
    with _account_errors():
        accounts.normalize_name(name)
        user = accounts.add_user(app.engine, name, _password(password_stdin))
    click.echo(f"Added user {user.name} (id {user.id}).")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@pass_app
def users_list(app: AppContext, as_json: bool) -> None:
    """Accounts with their creation time and when their password last changed."""
    rows = accounts.list_users(app.engine)
    if as_json:
        for u in rows:
            echo_json_line({"id": u.id, "name": u.name, "created_at": u.created_at,
                            "password_changed_at": u.password_changed_at})
        return
    if not rows:
        click.echo("No users yet: `storyline users add NAME`.")
        return
    for u in rows:
        click.echo(f"{u.id:>4}  {u.name:<24} created {fmt_time(u.created_at)}, "
                   f"password changed {fmt_time(u.password_changed_at)}")


@users.command("remove")
@click.argument("name")
@pass_app
def users_remove(app: AppContext, name: str) -> None:
    """Delete the account NAME with its sessions, tokens, read state and mutes."""
    with _account_errors():
        user = accounts.remove_user(app.engine, name)
    click.echo(f"Removed user {user.name}.")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the new password from the first line of standard input.")
@pass_app
def users_passwd(app: AppContext, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; their browser sessions and reading-app logins end."""
    with _account_errors():
        accounts.get_user(app.engine, name)
        user = accounts.set_password(app.engine, name, _password(password_stdin))
    click.echo(f"Changed the password of {user.name}; signed out everywhere.")


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (shown in lists).")
@pass_app
def users_token(app: AppContext, name: str, label: str) -> None:
    """Issue an API token for NAME (printed once: `Authorization: Bearer TOKEN`)."""
    with _account_errors():
        user = accounts.get_user(app.engine, name)
    click.echo(accounts.issue_token(app.engine, user, "api", label or "cli"))


def register(main: click.Group) -> None:
    main.add_command(users)
