"""The fetch stage orchestrator: due feeds → parse → new entries → page → extract → store.

Network work runs concurrently (async httpx, global and per-host caps); every database
write happens on the event-loop thread, one short transaction at a time, so SQLite has
one writer and nothing is half-written. A failing feed or page is recorded on the source
(status, last error, backoff) and in the fetch log; the run goes on.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from storyline.extract.clean import clean_text
from storyline.extract.page import extract_html
from storyline.extract.plaintext import is_aggregator_page
from storyline.fetch import FetchConfig, Fetcher, FetchResult
from storyline.fetch.schedule import next_check
from storyline.fetch.urls import canonicalize_url, host_of
from storyline.ingest import store as ingest_stage
from storyline.models import ArticleIn, ExtractedPage, FeedEntry, ParsedFeed
from storyline.parse import FeedParseError, parse_feed
from storyline.parse.common import html_to_text
from storyline.settings import Settings
from storyline.storage import articles as article_store
from storyline.storage import fetchlog
from storyline.storage import sources as source_store
from storyline.storage.sources import Source

MIN_PAGE_WORDS = 40  # a page extraction shorter than this loses to the feed's own content
POOL_AFTER = 16  # extract the first pages of a run in a thread; a bigger run gets processes


@dataclass(slots=True)
class FeedOutcome:
    source_id: int
    url: str
    ok: bool
    not_modified: bool = False
    entries: int = 0
    new: int = 0
    duplicates: int = 0
    existing: int = 0
    page_errors: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    not_stored: list[str] = field(default_factory=list)  # why each entry was left for later


@dataclass(slots=True)
class CrawlReport:
    feeds: list[FeedOutcome] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.feeds)


def _extract_in_worker(body: bytes, url: str, content_type: str | None
                       ) -> ExtractedPage | None:
    return extract_html(body, url, content_type=content_type)


def _die_with_run(run_pid: int) -> None:
    """Pool initializer: an extraction process never outlives the run that started it.

    Its parent is the forkserver, not the run, and neither exits by itself when the run
    is killed: a pool process holds both ends of its task queue (so it waits forever)
    and the pipe the forkserver watches. So each pool process watches the run and exits
    the moment it is gone (``kill -9`` included); the forkserver then follows.
    """
    threading.Thread(target=_exit_after, args=(run_pid,), name="storyline-run-watch",
                     daemon=True).start()


def _exit_after(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)  # Linux: readable once the process has exited
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # pragma: no cover - no pidfd: poll instead
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            time.sleep(0.5)
    select.select([fd], [], [])
    os._exit(1)


def fetch_config(settings: Settings) -> FetchConfig:
    return FetchConfig(
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout,
        max_body_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        max_concurrency=settings.fetch_concurrency,
        per_host_concurrency=settings.fetch_per_host,
        respect_robots=settings.respect_robots,
        allow_private=settings.allow_private_feeds,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class Crawler:
    """One fetch run over the due sources."""

    def __init__(self, engine: Engine, settings: Settings, *,
                 progress: Callable[[str, int], None] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.progress = progress or (lambda _kind, _n: None)
        self.report = CrawlReport()
        self._pool: ProcessPoolExecutor | None = None
        self._extractions = 0

    async def _extract(self, body: bytes, url: str, content_type: str | None
                       ) -> ExtractedPage | None:
        """Extraction is CPU-bound: small runs use a thread, big runs a process pool."""
        self._extractions += 1
        workers = self.settings.extract_workers or os.cpu_count() or 1
        if self._pool is None and (workers < 2 or self._extractions <= POOL_AFTER):
            return await asyncio.to_thread(extract_html, body, url, content_type=content_type)
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["storyline.extract.page"])
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                             initializer=_die_with_run,
                                             initargs=(os.getpid(),))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _extract_in_worker, body, url,
                                          content_type)

    def _schedule(self, now: datetime, result: FetchResult | None, error_count: int,
                  ttl: int | None = None) -> datetime:
        headers = result.headers if result is not None else {}
        return next_check(
            now,
            status=result.status if result is not None else None,
            ttl_seconds=ttl,
            cache_control=headers.get("cache-control"),
            expires=headers.get("expires"),
            retry_after_s=result.retry_after_s if result is not None else None,
            error_count=error_count,
            min_interval_s=self.settings.feed_min_interval,
            default_interval_s=self.settings.feed_default_interval,
            max_interval_s=self.settings.feed_max_interval,
        )

    def _fail(self, src: Source, outcome: FeedOutcome, result: FetchResult | None,
              error: str) -> None:
        now = _now()
        disable = bool(result is not None and result.status == 410)
        if disable:
            error = f"{error} (feed gone: disabled; `storyline feeds enable {src.id}` to retry)"
        with self.engine.begin() as conn:
            count = src.error_count + 1
            if count >= self.settings.feed_disable_after and not disable:
                disable = True
                error = f"{error} (disabled after {count} consecutive errors)"
            source_store.record_error(conn, src.id, now=now, error=error, disable=disable,
                                      next_check=self._schedule(now, result, count))
            fetchlog.record(conn, at=now, kind="feed", url=src.url, ok=False,
                            source_id=src.id, status=result.status if result else None,
                            error=error, elapsed_ms=int(result.elapsed_s * 1000) if result
                            else None)
        outcome.ok = False
        outcome.error = error

    async def run(self, sources: list[Source]) -> CrawlReport:
        try:
            async with Fetcher(fetch_config(self.settings)) as fetcher:
                await asyncio.gather(*(self._feed(fetcher, src) for src in sources))
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
        return self.report

    async def _feed(self, fetcher: Fetcher, src: Source) -> None:
        outcome = FeedOutcome(source_id=src.id, url=src.url, ok=True)
        self.report.feeds.append(outcome)
        try:
            await self._feed_inner(fetcher, src, outcome)
        except Exception as exc:  # a bug must not stop the other feeds
            self._fail(src, outcome, None, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self.progress("feed", 1)

    async def _feed_inner(self, fetcher: Fetcher, src: Source, outcome: FeedOutcome) -> None:
        result = await fetcher.fetch(src.url, etag=src.etag, last_modified=src.last_modified)
        now = _now()
        if result.error:
            self._fail(src, outcome, result, result.error)
            return
        if result.not_modified:
            with self.engine.begin() as conn:
                source_store.record_not_modified(conn, src.id, now=now,
                                                 next_check=self._schedule(now, result, 0,
                                                                           src.ttl_seconds))
                fetchlog.record(conn, at=now, kind="feed", url=src.url, ok=True,
                                source_id=src.id, status=result.status,
                                elapsed_ms=int(result.elapsed_s * 1000))
            outcome.not_modified = True
            return
        try:
            feed = parse_feed(result.body or b"", url=result.final_url or src.url,
                              content_type=result.content_type)
        except FeedParseError as exc:
            self._fail(src, outcome, result, str(exc))
            return
        outcome.entries = len(feed.entries)
        outcome.warnings.extend(feed.warnings)
        self.progress("entries", len(feed.entries))
        await asyncio.gather(*(self._entry(fetcher, src, feed, e, outcome)
                               for e in feed.entries))
        now = _now()
        if outcome.not_stored:
            outcome.warnings.append(_not_stored_line(outcome.not_stored))
        warning = "; ".join(outcome.warnings[:3]) if outcome.warnings else None
        with self.engine.begin() as conn:
            self._store_entries(conn, src, feed, outcome)
            source_store.record_success(
                conn, src.id, now=now, etag=result.headers.get("etag"),
                last_modified=result.headers.get("last-modified"), title=feed.title,
                site_url=feed.site_url, ttl_seconds=feed.ttl_seconds, warning=warning,
                next_check=self._schedule(now, result, 0, feed.ttl_seconds),
            )
            if feed.title:
                source_store.set_site_name(conn, src.id, feed.title)
            fetchlog.record(conn, at=now, kind="feed", url=src.url, ok=True, source_id=src.id,
                            status=result.status, elapsed_ms=int(result.elapsed_s * 1000),
                            new_articles=outcome.new)

    def _store_entries(self, conn: Connection, src: Source, feed: ParsedFeed,
                       outcome: FeedOutcome) -> None:
        """In the transaction that records the feed's successful check: nothing here (the
        entries were stored one by one); :class:`Poller` stores its deferred entries."""

    def _known(self, src: Source, entry: FeedEntry, url: str | None) -> bool:
        probe = ArticleIn(title="", text="", url=url, guid=entry.guid, source_id=src.id)
        if not url and not entry.guid:
            return False
        identity = ingest_stage.identity_for(probe, "")
        with self.engine.connect() as conn:
            return (article_store.exists(conn, identity) is not None
                    or article_store.is_tombstoned(conn, identity))

    async def _entry(self, fetcher: Fetcher, src: Source, feed: ParsedFeed, entry: FeedEntry,
                     outcome: FeedOutcome) -> None:
        try:
            url = canonicalize_url(entry.url) if entry.url else None
            if self._known(src, entry, url):
                outcome.existing += 1
                return
            art = await self._article(fetcher, src, feed, entry, url, outcome)
            if art is None:
                return
            with self.engine.begin() as conn:
                res = ingest_stage.ingest(
                    conn, art, near_threshold=self.settings.near_duplicate_threshold,
                    window_days=self.settings.near_duplicate_window_days,
                )
            if res.status == "new":
                outcome.new += 1
            elif res.status in {"duplicate", "near-duplicate"}:
                outcome.new += 1
                outcome.duplicates += 1
            else:
                outcome.existing += 1
            if res.stored and res.article_id is not None:
                self.report.article_ids.append(res.article_id)
        finally:
            self.progress("article", 1)

    async def _article(self, fetcher: Fetcher, src: Source, feed: ParsedFeed, entry: FeedEntry,
                       url: str | None, outcome: FeedOutcome) -> ArticleIn | None:
        feed_text = (html_to_text(entry.content_html, paragraphs=True)
                     or html_to_text(entry.summary_html, paragraphs=True))
        if feed_text:  # text that only repeats the title is still the entry's text
            feed_text = clean_text(feed_text, entry.title).text or clean_text(feed_text).text
        page = None
        page_fetched = False
        page_error: str | None = None
        if url and self.settings.fetch_pages:
            res = await fetcher.fetch(entry.url or url, check_robots=True)
            if res.error:
                page_error = res.error
            elif res.body:
                page_fetched = True
                page = await self._extract(res.body, res.final_url or url, res.content_type)
                if page is None or len(page.text.split()) < MIN_PAGE_WORDS:
                    if len(feed_text.split()) > (len(page.text.split()) if page else 0):
                        page_error = "no main text found in the page"
                        page = None
                elif is_aggregator_page(page.text):
                    page_error = "the page is an aggregator page, not an article"
                    page = None
            if page_error:
                outcome.page_errors += 1
                with self.engine.begin() as conn:
                    fetchlog.record(conn, at=_now(), kind="page", url=url, ok=False,
                                    source_id=src.id, status=res.status, error=page_error,
                                    elapsed_ms=int(res.elapsed_s * 1000))
        title = (entry.title or (page.title if page else None) or "").strip()
        inferred: list[str] = []
        if page is not None:
            text, method = page.text, page.method
        elif feed_text:
            text, method = feed_text, "feed-content"
        elif title and (page_fetched or not url) and not page_error:
            # The headline is all the text there is (a page whose one paragraph is its
            # headline, an item without link or content): kept, a later run finds no more.
            text, method = title, "headline-only"
        else:
            # Nothing to store yet: not stored, so the next run tries the page again.
            if page_error:
                missing = f"the page failed ({page_error}) and the feed has no text"
            elif url and self.settings.fetch_pages:
                missing = "the page is empty and the feed has no text"
            elif url:
                missing = ("the feed has no text and article pages are not fetched "
                           "(fetch_pages is off)")
            else:
                missing = "no link to a page and no title or text in the feed"
            outcome.not_stored.append(missing)
            if not page_error:
                outcome.page_errors += 1
                with self.engine.begin() as conn:
                    fetchlog.record(conn, at=_now(), kind="page", url=url or entry.guid,
                                    ok=False, source_id=src.id, error=missing)
            return None
        published = entry.published or (page.published if page else None)
        if published is None:
            published = _now()
            inferred.append("published")
        outlet = src.site_name or feed.title or (page.site_name if page else None) or host_of(
            url or src.url)
        return ArticleIn(
            title=title or (page.title if page and page.title else " ".join(text.split()[:12])),
            text=text, url=url, original_url=entry.url, guid=entry.guid, source_id=src.id,
            outlet=outlet, byline=entry.author or (page.byline if page else None),
            published=published, language=page.language if page else None,
            image_url=(page.image_url if page and page.image_url else entry.image_url),
            image_caption=page.image_caption if page else None,
            image_credit=page.image_credit if page else None, extraction_method=method,
            inferred_fields=inferred, links=page.links if page else [],
        )


class Poller(Crawler):
    """The poll stage of the distributed pipeline: checks feeds like :class:`Crawler`
    (conditional GET, parse, schedule, errors) but fetches no page: each new entry is
    recorded as waiting for the extract stage, in the transaction that records the
    feed's check, so a poll killed before it commits leaves the feed due and nothing
    half-done. ``entry_ids`` are the waiting entries the run recorded."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        super().__init__(engine, settings)
        self._deferred: dict[int, list[tuple[str, dict[str, object]]]] = {}
        self.entry_ids: list[int] = []

    async def _entry(self, fetcher: Fetcher, src: Source, feed: ParsedFeed, entry: FeedEntry,
                     outcome: FeedOutcome) -> None:
        url = canonicalize_url(entry.url) if entry.url else None
        if self._known(src, entry, url):
            outcome.existing += 1
            return
        self._deferred.setdefault(src.id, []).append((entry_identity(src.id, entry, url),
                                                      entry_to_dict(entry)))

    def _store_entries(self, conn: Connection, src: Source, feed: ParsedFeed,
                       outcome: FeedOutcome) -> None:
        from storyline.storage import work

        deferred = self._deferred.pop(src.id, [])
        ids = work.add_entries(conn, src.id, feed.title, deferred, _now())
        outcome.new += len(deferred)
        self.entry_ids.extend(ids)

    async def poll(self, fetcher: Fetcher, src: Source) -> FeedOutcome:
        await self._feed(fetcher, src)
        return self.report.feeds[-1]


def entry_identity(source_id: int, entry: FeedEntry, url: str | None) -> str:
    """The identity the entry's article will have (its canonical URL, else its GUID in
    its feed); an entry with neither is named by its content."""
    if url or entry.guid:
        probe = ArticleIn(title="", text="", url=url, guid=entry.guid, source_id=source_id)
        return ingest_stage.identity_for(probe, "")
    return ingest_stage.identity_for(ArticleIn(title="", text=""), json.dumps(
        entry_to_dict(entry), sort_keys=True))


def entry_to_dict(entry: FeedEntry) -> dict[str, object]:
    return {"guid": entry.guid, "url": entry.url, "title": entry.title,
            "summary_html": entry.summary_html, "content_html": entry.content_html,
            "published": entry.published.isoformat() if entry.published else None,
            "author": entry.author, "image_url": entry.image_url}


def entry_from_dict(data: dict[str, object]) -> FeedEntry:
    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    published = text("published")
    return FeedEntry(guid=text("guid"), url=text("url"), title=text("title"),
                     summary_html=text("summary_html"), content_html=text("content_html"),
                     published=datetime.fromisoformat(published) if published else None,
                     author=text("author"), image_url=text("image_url"))


async def fetch_article(engine: Engine, settings: Settings, fetcher: Fetcher, src: Source,
                        feed_title: str | None, entry: FeedEntry
                        ) -> tuple[ArticleIn | None, FeedOutcome]:
    """The extract stage for one entry, as :class:`Crawler` does it: the page fetched and
    its main text extracted (or the feed's own text), as the article to store; None (and
    the reason in the outcome's ``not_stored``) when there is nothing to store yet."""
    crawler = Crawler(engine, settings)
    outcome = FeedOutcome(source_id=src.id, url=src.url, ok=True)
    feed = ParsedFeed(format="rss", title=feed_title, site_url=None, entries=[entry])
    url = canonicalize_url(entry.url) if entry.url else None
    art = await crawler._article(fetcher, src, feed, entry, url, outcome)  # noqa: SLF001
    return art, outcome


def _not_stored_line(reasons: list[str]) -> str:
    """One warning line for a feed's entries left unstored, most common reason first."""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    shown = "; ".join(f"{n} × {reason}" if n > 1 else reason for reason, n in ranked[:2])
    more = f"; {len(ranked) - 2} other reasons" if len(ranked) > 2 else ""
    noun = "entry" if len(reasons) == 1 else "entries"
    return f"{len(reasons)} {noun} not stored, tried again next run: {shown}{more}"


def crawl(engine: Engine, settings: Settings, *, source_ids: list[int] | None = None,
          force: bool = False, progress: Callable[[str, int], None] | None = None
          ) -> CrawlReport:
    """Fetch the due sources (or ``source_ids``; ``force`` ignores next-check times)."""
    now = _now()
    with engine.connect() as conn:
        due = source_store.due(conn, now, include_all=force or bool(source_ids))
    if source_ids:
        wanted = set(source_ids)
        due = [s for s in due if s.id in wanted]
    if not due:
        return CrawlReport()
    return asyncio.run(Crawler(engine, settings, progress=progress).run(due))
