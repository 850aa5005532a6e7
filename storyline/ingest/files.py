"""Import local files: HTML pages, plain-text articles, eval-schema JSONL, and folders.

Every format is converted here into an :class:`ArticleIn` and handed to the store
stage. A bad file or line is reported in one line and skipped; the rest goes on.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from storyline.extract.page import extract_html
from storyline.extract.plaintext import is_aggregator_page, parse_plain_text
from storyline.fetch.urls import canonicalize_url, host_of
from storyline.ingest import store as ingest_stage
from storyline.models import ArticleIn
from storyline.parse.encoding import decode_document
from storyline.storage import fetchlog
from storyline.text.dates import parse_datetime
from storyline.text.jsonio import json_objects

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass(slots=True)
class ImportOptions:
    outlet: str | None = None
    url: str | None = None
    published: datetime | None = None
    near_threshold: float = 0.6
    window_days: int = 14


@dataclass(slots=True)
class ImportReport:
    files: int = 0
    new: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    existing: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)


def _kind(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in HTML_SUFFIXES:
        return "html"
    if last in TEXT_SUFFIXES:
        return "text"
    if last in JSONL_SUFFIXES:
        return "jsonl"
    return None


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files to import (folders walked in name order) and one-line errors."""
    files: list[Path] = []
    errors: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p))
            if not found:
                errors.append(f"{path}: no .html, .txt or .jsonl files in this folder")
            files.extend(found)
        elif path.is_file():
            if _kind(path) is None:
                errors.append(f"{path}: unsupported file type (expected .html, .txt or .jsonl)")
            else:
                files.append(path)
        else:
            errors.append(f"{path}: no such file or folder")
    return files, errors


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        data = gzip.decompress(data)
    return data


def decode_text(data: bytes) -> str:
    """Text of a local file: BOM, valid UTF-8, then charset detection."""
    return decode_document(data).text


def article_from_html(data: bytes, path: Path, opts: ImportOptions) -> ArticleIn | str:
    page = extract_html(data, opts.url)
    if page is None or not page.text.strip():
        return "no main text found in the page"
    reason = is_aggregator_page(page.text)
    if reason:
        return f"skipped: an aggregator page, not an article ({reason})"
    url = canonicalize_url(opts.url or page.canonical_url or "") if (opts.url or
                                                                     page.canonical_url) else None
    outlet = opts.outlet or page.site_name or (host_of(url) if url else None)
    return ArticleIn(
        title=page.title or path.stem, text=page.text, url=url,
        original_url=opts.url or page.canonical_url, outlet=outlet, byline=page.byline,
        published=opts.published or page.published, language=page.language,
        image_url=page.image_url, image_caption=page.image_caption,
        image_credit=page.image_credit, extraction_method=page.method, links=page.links,
    )


def article_from_text(raw: str, opts: ImportOptions) -> ArticleIn | str:
    reason = is_aggregator_page(raw)
    if reason:
        return f"skipped: an aggregator page, not an article ({reason})"
    parsed = parse_plain_text(raw, published_hint=opts.published)
    if not parsed.text.strip():
        return "no article text found"
    inferred = list(parsed.inferred)
    outlet = opts.outlet
    if not outlet:
        outlet = parsed.outlet
    elif "outlet" in inferred:
        inferred.remove("outlet")
    published = opts.published or parsed.published
    if opts.published and "published" in inferred:
        inferred.remove("published")
    url = canonicalize_url(opts.url) if opts.url else None
    return ArticleIn(
        title=parsed.title, text=parsed.text, url=url, original_url=opts.url, outlet=outlet,
        published=published, image_caption=parsed.image_caption,
        image_credit=parsed.image_credit, extraction_method="plain-text",
        inferred_fields=inferred, language="en",
    )


def _jsonl_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return parse_datetime(value)


def articles_from_jsonl(text: str, path: Path) -> Iterator[tuple[int, ArticleIn | str]]:
    """(line number, article or one-line error) for each non-blank line."""
    for lineno, obj in json_objects(text):
        if isinstance(obj, str):
            yield lineno, obj
            continue
        title = obj.get("title")
        body = obj.get("text")
        if not isinstance(title, str) and not isinstance(body, str):
            yield lineno, "no title and no text"
            continue
        raw_url = obj.get("url") if isinstance(obj.get("url"), str) else None
        url = canonicalize_url(raw_url) if raw_url else None
        ext_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        source = obj.get("source") if isinstance(obj.get("source"), str) else None
        text = body if isinstance(body, str) else ""
        title_s = title if isinstance(title, str) else ""
        # Eval texts may repeat the title as their first line: keep the body only.
        first, _, rest = text.partition("\n")
        if title_s and first.strip() == title_s.strip() and rest.strip():
            text = rest
        yield lineno, ArticleIn(
            title=title_s, text=text, url=url, original_url=raw_url, outlet=source,
            published=_jsonl_date(obj.get("published")), language=obj.get("lang") or None,
            extraction_method="jsonl", external_id=ext_id,
        )


def _store(engine: Engine, art: ArticleIn, opts: ImportOptions, report: ImportReport) -> None:
    with engine.begin() as conn:
        result = ingest_stage.ingest(conn, art, near_threshold=opts.near_threshold,
                                     window_days=opts.window_days)
    if result.status == "new":
        report.new += 1
    elif result.status == "duplicate":
        report.duplicates += 1
    elif result.status == "near-duplicate":
        report.near_duplicates += 1
    elif result.status in {"exists", "tombstoned"}:
        report.existing += 1
    else:
        report.skipped += 1
    if result.article_id is not None and result.stored:
        report.article_ids.append(result.article_id)


def _log_error(engine: Engine, where: str, message: str, report: ImportReport) -> None:
    report.errors.append(f"{where}: {message}")
    with engine.begin() as conn:
        fetchlog.record(conn, at=datetime.now(UTC), kind="import", url=where, ok=False,
                        error=message)


def import_paths(
    engine: Engine,
    paths: list[Path],
    opts: ImportOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import files and folders; ``progress(done, total)`` is called per file."""
    opts = opts or ImportOptions()
    report = ImportReport()
    files, errors = expand_paths(paths)
    report.errors.extend(errors)
    for done, path in enumerate(files, start=1):
        report.files += 1
        try:
            data = read_bytes(path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            _log_error(engine, str(path), f"cannot read: {exc}", report)
            continue
        kind = _kind(path)
        if kind == "jsonl":
            for lineno, item in articles_from_jsonl(decode_text(data), path):
                if isinstance(item, str):
                    _log_error(engine, f"{path}:{lineno}", item, report)
                else:
                    _store(engine, item, opts, report)
        else:
            item = (article_from_html(data, path, opts) if kind == "html"
                    else article_from_text(decode_text(data), opts))
            if isinstance(item, str):
                if item.startswith("skipped"):
                    report.skipped += 1
                    report.notes.append(f"{path}: {item}")
                else:
                    _log_error(engine, str(path), item, report)
            else:
                _store(engine, item, opts, report)
        if progress is not None:
            progress(done, len(files))
    return report


