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
    from storyline.distributed.status import collect_status, status_lines

    settings = app.settings
    depth = None
    if settings.broker_url:
        from storyline.distributed.app import make_app
        from storyline.distributed.connect import broker_error
        from storyline.distributed.tasks import queue_depth

        if broker_error(settings) is None:
            celery = make_app(settings, register=False)

            def depth(queue: str) -> int | None:
                return queue_depth(celery, queue)

    status = collect_status(settings, app.engine, queue_depth=depth)
    if as_json:
        echo_json_line(status)
        return
    for line in status_lines(status):
        click.echo(line)


def register(main: click.Group) -> None:
    main.add_command(status_cmd)
