"""`storyline status`: the distributed pipeline at a glance."""

from __future__ import annotations

import click

from storyline.cli.common import AppContext, echo_json_line, pass_app


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Show per queue the work pending in the database and the messages in the broker,
    per stage what was done in the last minutes, the workers' heartbeats, and the
    clusterer's epoch, checkpoint and lag (ready articles not yet clustered).

    A broker that does not answer is shown as unreachable (its counts as '-').
    """
    from storyline.distributed.status import broker_depth, collect_status, status_lines

    status = collect_status(app.settings, app.engine, queue_depth=broker_depth(app.settings))
    if as_json:
        echo_json_line(status)
        return
    for line in status_lines(status):
        click.echo(line)


def register(main: click.Group) -> None:
    main.add_command(status_cmd)
