"""The one composition root: builds the parts a run needs from the settings, once, and
runs the stages over them.

    fetch → extract → store ─┐
    import files → store ────┴→ cluster (articles in no story) → write (stale stories)

Every stage is a plain function over a database engine (``crawl``, ``import_paths``,
``run_clustering``, ``write_stories``), so another runner (a task queue) can call the
same ones; :class:`Pipeline` only hands them their parts: one sentence encoder
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

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from storyline.settings import Settings

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

__all__ = ["Models", "Pending", "Pipeline"]

Progress = Callable[[int, int], None]
WRITE_PASSES = 5  # of finish_pending: until no page is stale (a storyline's chain)


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
        self._cluster_mark: tuple[Any, ...] | None = None
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
        """Whether clustering has work: articles in no story, or stories whose storyline
        and sub-stories an interrupted run did not refresh."""
        from storyline.cluster.service import links_pending

        if self.pending_articles():
            return True
        with self.engine.connect() as conn:
            return links_pending(conn)

    def stale_stories(self, *, everything: bool = False) -> list[int]:
        """Stories whose summary (and stored page) is missing or older than their members."""
        from storyline.write.service import stale_stories

        with self.engine.connect() as conn:
            return stale_stories(conn, everything=everything)

    def cluster(self, progress: Progress | None = None) -> ClusterReport:
        """Assign every article in no story to a story; refresh storylines and
        sub-stories of the stories that changed. The clusterer stays warm across calls
        and reloads the stories when anyone else changed them since its last run."""
        from storyline.cluster.service import run_clustering
        from storyline.storage.marks import story_mark

        service = self.clusterer
        with self.engine.connect() as conn:
            mark = story_mark(conn)
        if mark != self._cluster_mark:
            service.reset()  # stories changed outside this pipeline: reload them
        try:
            report = run_clustering(self.engine, self.settings, progress=progress,
                                    service=service)
        except Exception:
            service.reset()  # its memory may be ahead of what was committed
            self._cluster_mark = None
            raise
        with self.engine.connect() as conn:
            self._cluster_mark = story_mark(conn)
        return report

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
