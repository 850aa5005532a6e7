"""The pipeline's stages as Celery tasks on many machines, PostgreSQL as the truth.

One queue per stage (``poll``, ``extract``, ``embed``, ``cluster``, ``storylines``,
``write``); a worker takes the queues it is told. Messages only wake: every task reads
what is pending from PostgreSQL, claims it (``FOR UPDATE SKIP LOCKED`` or an advisory
lock), does it in one transaction and is idempotent by the keys the project already has,
so a lost or duplicated message, a dead worker or a restarted broker delays work but
never loses or doubles it; the beat's sweep re-sends what no message covers. One
clusterer writes at a time: an advisory lock plus a fencing epoch checked in each of its
write transactions, with its checkpoint (a number of the articles' ready sequence)
advanced in the same transaction. See docs/deploy.md.
"""

from storyline.distributed.app import QUEUES, make_app
from storyline.distributed.fencing import Fenced, ShardClusterer
from storyline.distributed.status import collect_status

__all__ = ["QUEUES", "Fenced", "ShardClusterer", "collect_status", "make_app"]
