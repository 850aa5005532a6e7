"""The one composition root: builds the parts a run needs from the settings, once, and
runs the stages over them.

    fetch → extract → store ─┐
    import files → store ────┴→ cluster (articles in no story) → write (stale stories)

Every stage is a plain function over a database engine (``crawl``, ``import_paths``,
``ClusterService.run``, ``refresh_story_links``, ``write_stories``), so another runner
(the task queue of ``storyline.distributed``) can call the same ones; clustering goes
through one entry for both, :class:`ShardClusterer` (on PostgreSQL: the shard's lock
and fencing epoch, so the two runners never cluster at once); :class:`Pipeline` only hands them their parts: one sentence encoder
(``settings.embed_backend``), one entity tagger, one clusterer and one writer (the
extractive writer, or the LLM writer wrapping it as its fallback), each built on first
use. The models live in :class:`Models`, which callers may share between pipelines (the
test suite keeps one for a whole session, ``storyline serve`` one for its worker).

Every run finishes the work earlier runs left: after fetching or importing,
:meth:`Pipeline.finish_pending` clusters every article in no story and rewrites every
story whose page is stale, whatever the last run did (a run killed while clustering or
writing is healed by the next one). It runs after the new articles are stored, so one
clustering pass takes everything in publication order and the result is the one an
uninterrupted run gives.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine

from storyline.settings import Settings
from storyline.storage import engine_state, work
from storyline.storage.marks import story_mark

if TYPE_CHECKING:
    from storyline.cluster.service import ClusterReport, ClusterService
    from storyline.ingest.crawl import CrawlReport
    from storyline.ingest.files import ImportReport
    from storyline.nlp.encoder import Embedder
    from storyline.nlp.entities import SignalExtractor
    from storyline.write.extractive import ExtractiveWriter
    from storyline.write.keyphrases import PhraseTagger
    from storyline.write.llm import LLMWriter
    from storyline.write.service import WriteReport

__all__ = ["CONSOLIDATION_OWED", "DEFAULT_SHARD", "Fenced", "Models", "Pending", "Pipeline",
           "ShardBusy", "ShardClusterer", "consolidation_owed", "owed_stories"]

Progress = Callable[[int, int], None]
T = TypeVar("T")
WRITE_PASSES = 5  # of finish_pending: until no page is stale (a storyline's chain)
SHARD_WAIT_S = 30.0  # the in-process clusterer waits this long for a distributed one


class Models:
    """The loaded models, built on first use and kept: a sentence encoder per backend,
    the entity tagger of clustering (spaCy NER) and the writer's phrase tagger (spaCy
    tagger and parser). Share one instance to load each model once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._encoders: dict[str, Embedder] = {}
        self._tagger: SignalExtractor | None = None
        self._phrases: PhraseTagger | None = None

    def encoder(self, backend: str) -> Embedder:
        """The encoder of ``backend`` (auto, onnx or torch); it loads its model lazily."""
        with self._lock:
            if backend not in self._encoders:
                from storyline.nlp.encoder import Embedder

                self._encoders[backend] = Embedder(backend=backend)
            return self._encoders[backend]

    @property
    def tagger(self) -> SignalExtractor:
        with self._lock:
            if self._tagger is None:
                from storyline.nlp.entities import SignalExtractor

                self._tagger = SignalExtractor()
            return self._tagger

    @property
    def phrases(self) -> PhraseTagger:
        with self._lock:
            if self._phrases is None:
                from storyline.write.keyphrases import PhraseTagger

                self._phrases = PhraseTagger()
            return self._phrases

    @property
    def encoders(self) -> dict[str, Embedder]:
        """The encoders built so far, by requested backend."""
        with self._lock:
            return dict(self._encoders)


@dataclass
class Pending:
    """What :meth:`Pipeline.finish_pending` did: None for a stage with nothing to do."""

    cluster: ClusterReport | None = None
    write: WriteReport | None = None


class Pipeline:
    """The stages of a run over one database, with their parts built once, lazily."""

    def __init__(self, settings: Settings, engine: Engine, *,
                 models: Models | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.models = models if models is not None else Models()
        self._lock = threading.Lock()
        self._clusterer: ClusterService | None = None
        self._shard: ShardClusterer | None = None
        self._writer: ExtractiveWriter | LLMWriter | None = None

    # ---- parts -------------------------------------------------------------------------
    @property
    def encoder(self) -> Embedder:
        return self.models.encoder(self.settings.embed_backend)

    @property
    def clusterer(self) -> ClusterService:
        with self._lock:
            if self._clusterer is None:
                from storyline.cluster.service import ClusterService
                from storyline.cluster.vectorize import Vectorizer

                self._clusterer = ClusterService(
                    self.engine, self.settings,
                    vectorizer=Vectorizer(self.encoder, extractor=self.models.tagger))
            return self._clusterer

    @property
    def shard(self) -> ShardClusterer:
        """The clusterer's shard entry (fenced on PostgreSQL), over :attr:`clusterer`."""
        with self._lock:
            if self._shard is None:
                self._shard = ShardClusterer(self.engine, self.settings,
                                             lambda: self.clusterer)
            return self._shard

    @property
    def writer(self) -> ExtractiveWriter | LLMWriter:
        """The configured writer (cheap: its models load when it first writes); a
        misconfigured writer raises ``SettingsError`` here."""
        with self._lock:
            if self._writer is None:
                from storyline.write.service import make_writer

                self._writer = make_writer(self.settings, self.encoder,
                                           tagger=self.models.phrases)
            return self._writer

    # ---- bringing articles in ----------------------------------------------------------
    def fetch(self, *, source_ids: Sequence[int] | None = None, force: bool = False,
              pages: bool | None = None,
              progress: Callable[[str, int], None] | None = None) -> CrawlReport:
        """Fetch the due feeds (or ``source_ids``; ``force``: every enabled feed), then
        each new article's page (unless ``pages`` is False), and store the articles."""
        from storyline.ingest.crawl import crawl

        settings = self.settings
        if pages is not None and pages != settings.fetch_pages:
            settings = settings.replace(fetch_pages=pages)
        return crawl(self.engine, settings, source_ids=list(source_ids or []) or None,
                     force=force, progress=progress)

    def import_paths(self, paths: Sequence[Path], *, outlet: str | None = None,
                     url: str | None = None, published: datetime | None = None,
                     progress: Progress | None = None, follow_links: bool = False
                     ) -> ImportReport:
        """Import local files and folders (HTML, plain text, JSONL) and store them."""
        from storyline.ingest.files import ImportOptions, import_paths

        opts = ImportOptions(outlet=outlet, url=url, published=published,
                             follow_links=follow_links,
                             near_threshold=self.settings.near_duplicate_threshold,
                             window_days=self.settings.near_duplicate_window_days)
        return import_paths(self.engine, list(paths), opts, progress=progress)

    # ---- stories -----------------------------------------------------------------------
    def pending_articles(self) -> int:
        """Articles in no story yet."""
        from storyline.cluster.service import pending_count

        with self.engine.connect() as conn:
            return pending_count(conn)

    def cluster_pending(self) -> bool:
        """Whether clustering has work: articles in no story, stories whose storyline
        and sub-stories an interrupted run did not refresh, or a consolidation a killed
        (fenced) clusterer owes."""
        from storyline.cluster.service import links_pending

        if self.pending_articles():
            return True
        with self.engine.connect() as conn:
            return links_pending(conn) or consolidation_owed(conn)

    def stale_stories(self, *, everything: bool = False) -> list[int]:
        """Stories whose summary (and stored page) is missing or older than their members."""
        from storyline.write.service import stale_stories

        with self.engine.connect() as conn:
            return stale_stories(conn, everything=everything)

    def cluster(self, progress: Progress | None = None) -> ClusterReport:
        """Assign every article in no story to a story; refresh storylines and
        sub-stories of the stories that changed. The clusterer stays warm across calls
        and reloads the stories when anyone else changed them since its last run; on
        PostgreSQL it holds the shard like a distributed clusterer (it waits up to
        ``SHARD_WAIT_S`` for one, then raises :class:`ShardBusy`), and its writes are
        fenced by the shard's epoch."""
        return self.shard.cluster_pending(progress, wait_s=SHARD_WAIT_S)

    def write(self, *, everything: bool = False, story_ids: list[int] | None = None,
              progress: Progress | None = None) -> WriteReport:
        """(Re)write the summary and page of every stale story (``everything``: every
        story; ``story_ids``: those)."""
        from storyline.write.service import write_stories

        return write_stories(self.engine, writer=self.writer, everything=everything,
                             story_ids=story_ids, progress=progress)

    def finish_pending(self, *, cluster_progress: Progress | None = None,
                       write_progress: Progress | None = None) -> Pending:
        """Cluster the articles in no story, then rewrite the stale stories, whoever left
        them; a stage with nothing to do loads no model."""
        done = Pending()
        if self.cluster_pending():
            done.cluster = self.cluster(cluster_progress)
        # Stale stories come in timeline order, so one pass usually leaves none; a page
        # that read an earlier story's headline before it was rewritten (by another
        # process meanwhile) is stale again and rewritten in the next pass.
        for _ in range(WRITE_PASSES):
            todo = self.stale_stories()
            if not todo:
                break
            report = self.write(story_ids=todo, progress=write_progress)
            if done.write is None:
                done.write = report
            else:
                done.write.written += report.written
                done.write.sentences += report.sentences
                done.write.supported += report.supported
            if not report.written:
                break
        return done

    def run_cycle(self) -> tuple[CrawlReport, Pending]:
        """One unattended run: fetch the due feeds, then finish every pending stage."""
        fetched = self.fetch()
        return fetched, self.finish_pending()


# ---- the one clusterer of a shard ------------------------------------------------------
DEFAULT_SHARD = "default"
# Set in the transaction of a batch of assignments, cleared in the one of the run's
# consolidation (merges, splits): a clusterer killed in between owes the consolidation,
# and the next one runs it although no article is pending.
CONSOLIDATION_OWED = "consolidation_owed"


def owed_stories(conn: Connection) -> set[int]:
    """The stories a run assigned articles to and did not consolidate."""
    value = engine_state.get(conn, CONSOLIDATION_OWED) or ""
    return {int(x) for x in value.split(",") if x}


def consolidation_owed(conn: Connection) -> bool:
    return bool(owed_stories(conn))


class Fenced(RuntimeError):
    """This clusterer's epoch was superseded: its writes are refused."""


class ShardBusy(RuntimeError):
    """Another clusterer (a distributed one, or another process) holds the shard."""


def _now() -> datetime:
    return datetime.now(UTC)


class ShardClusterer:
    """The clusterer of one shard over a :class:`ClusterService` whose in-memory index is
    a cache of committed state (reloaded when anyone else changed the stories): the one
    entry of both runners' clustering. On PostgreSQL it is fenced: the shard's advisory
    lock, an epoch raised by each new holder and checked in each write transaction, the
    checkpoint advanced in those transactions — so the in-process runner (``storyline
    worker``, ``storyline cluster``) and distributed clusterers on one database never
    write at once. On SQLite (one writer, in process) it is not: no lock, no epoch."""

    def __init__(self, engine: Engine, settings: Settings,
                 service: ClusterService | Callable[[], ClusterService], *,
                 shard: str = DEFAULT_SHARD, owner: str | None = None,
                 fenced: bool | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self._service = service
        self.fenced = engine.dialect.name == "postgresql" if fenced is None else fenced
        self.shard = shard
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.epoch: int | None = None
        self._lock_conn: Connection | None = None
        self._mark: tuple[Any, ...] | None = None

    @property
    def service(self) -> ClusterService:
        from storyline.cluster.service import ClusterService

        if not isinstance(self._service, ClusterService):
            self._service = self._service()
        return self._service

    # ---- the lock and the epoch --------------------------------------------------------
    @property
    def held(self) -> bool:
        return self._lock_conn is not None or not self.fenced

    def acquire(self, wait_s: float = 0.0) -> bool:
        """Take the shard's lock (waiting up to ``wait_s``) and raise its epoch; always
        True unfenced."""
        if self.held:
            return True
        deadline = time.monotonic() + wait_s
        conn = self.engine.connect()
        try:
            while not work.try_lock(conn, work.LOCK_SHARD, 0):
                if time.monotonic() >= deadline:
                    conn.close()
                    return False
                time.sleep(0.2)
            with self.engine.begin() as tx:
                self.epoch = work.bump_epoch(tx, self.shard, self.owner, _now())
        except BaseException:
            conn.close()
            raise
        self._lock_conn = conn
        return True

    def release(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is None:
            return
        try:
            work.unlock(conn, work.LOCK_SHARD, 0)
        except Exception:  # the session is gone, and the lock with it
            conn.invalidate()
        finally:
            conn.close()

    def check(self, conn: Connection) -> None:
        """In a write transaction: refuse it unless this holder's epoch is current."""
        if not self.fenced:
            return
        if self.epoch is None or not work.fence(conn, self.shard, self.epoch):
            raise Fenced(f"clusterer {self.owner}: epoch {self.epoch} of shard "
                         f"{self.shard} was superseded; its writes are refused")

    # ---- the work ----------------------------------------------------------------------
    def run(self, progress: Progress | None = None, *,
            every_pending: bool = False) -> ClusterReport:
        """Cluster the ready articles after the checkpoint (up to the newest ready number
        now; ``every_pending``: every article in no story, ready or not, as the
        in-process runner stores them), in publication order, each batch fenced and
        checkpointed."""
        if self.fenced and self.epoch is None:
            raise Fenced("clusterer has not acquired its shard")
        service = self.service
        with self.engine.connect() as conn:
            state = work.shard_state(conn, self.shard)
            after = int(state.checkpoint) if state is not None else 0
            upto = work.max_seq(conn)
            mark = story_mark(conn)
            owed = owed_stories(conn) if self.fenced else set()
        if mark != self._mark or owed:
            service.reset()  # stories changed elsewhere: reload them

        def select_batch(conn: Connection, limit: int) -> list[Any]:
            return work.ready_unclustered(conn, after, upto, limit)

        def in_batch(conn: Connection, article_ids: list[int]) -> None:
            self.check(conn)
            if article_ids:
                owed = owed_stories(conn) | work.stories_of(conn, article_ids)
                engine_state.put(conn, CONSOLIDATION_OWED, ",".join(map(str, sorted(owed))))
            elif consolidation_owed(conn):
                engine_state.put(conn, CONSOLIDATION_OWED, "")
            first = work.first_unclustered_seq(conn, after, upto)
            work.set_checkpoint(conn, self.shard, upto if first is None else first - 1,
                                _now())

        try:
            report = service.run(progress, select_batch=None if every_pending else select_batch,
                                 in_batch=in_batch if self.fenced else None, owed=owed)
        except BaseException:
            service.reset()  # its memory may be ahead of what was committed
            self._mark = None
            raise
        with self.engine.connect() as conn:
            self._mark = story_mark(conn)
        return report

    def refresh_links(self, touched: set[int] | None = None) -> set[int]:
        """Refresh the storylines and sub-stories of ``touched`` and of the stories
        clustering recorded as pending, fenced like the clusterer's own writes; returns
        the stories refreshed."""
        from storyline.cluster.service import refresh_story_links

        with self.engine.begin() as conn:
            self.check(conn)
            return refresh_story_links(conn, self.settings, touched or set())

    def while_held(self, task: Callable[[], T], wait_s: float = 0.0) -> T:
        """``task()`` holding the shard (waiting up to ``wait_s`` for another clusterer,
        else :class:`ShardBusy`), released after; :class:`Fenced` passes through."""
        if not self.acquire(wait_s):
            raise ShardBusy(f"another clusterer ({self._holder()}) holds shard {self.shard}: "
                            f"waited {wait_s:.0f} s: later")
        try:
            return task()
        finally:
            self.release()

    def cluster_pending(self, progress: Progress | None = None, *,
                        wait_s: float = 0.0) -> ClusterReport:
        """The in-process runner's clustering: every article in no story, then the
        storylines and sub-stories of the stories that changed, holding the shard."""
        def run() -> ClusterReport:
            report = self.run(progress, every_pending=True)
            self.refresh_links(report.touched_stories)
            return report

        return self.while_held(run, wait_s)

    def _holder(self) -> str:
        with self.engine.connect() as conn:
            state = work.shard_state(conn, self.shard)
        return f"{state.owner}, epoch {state.epoch}" if state is not None else "unknown"
