"""The Celery application: one queue per stage, tasks acknowledged after they ran, the
beat's sweep. Built from the settings (``make_app``); nothing at import time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storyline.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

__all__ = ["QUEUES", "SINGLETONS", "TASK_OF", "make_app"]

# The stages, in the order work flows through them.
QUEUES = ("poll", "extract", "embed", "cluster", "storylines", "write")
# Stages whose task takes whatever is pending (no key); the others take one item.
SINGLETONS = frozenset({"embed", "cluster", "storylines"})
TASK_OF = {queue: f"storyline.{queue}" for queue in QUEUES}
SWEEP_TASK = "storyline.sweep"
SWEEP_QUEUE = "poll"  # the sweep is light: the many small poll workers take it


def make_app(settings: Settings, *, register: bool = True) -> Celery:
    """The Celery app over ``settings.broker_url`` with every stage's task registered."""
    from celery import Celery

    app = Celery("storyline", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a task killed with its worker is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="poll",
        task_routes={**{TASK_OF[q]: {"queue": q} for q in QUEUES},
                     SWEEP_TASK: {"queue": SWEEP_QUEUE}},
        task_serializer="json", accept_content=["json"],
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_transport_options={"visibility_timeout": 3600, "max_retries": 3,
                                  "interval_start": 0, "interval_step": 0.5,
                                  "interval_max": 2},
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0,
                                   "interval_step": 0.5, "interval_max": 2},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        beat_schedule={"sweep": {"task": SWEEP_TASK,
                                 "schedule": float(settings.sweep_interval),
                                 "options": {"queue": SWEEP_QUEUE,
                                             "expires": float(settings.sweep_interval)}}},
        timezone="UTC",
    )
    if register:
        from storyline.distributed.tasks import register_tasks

        register_tasks(app, settings)
    return app
