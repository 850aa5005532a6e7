"""Import local files: HTML pages, plain-text articles, eval-schema JSONL, and folders.

Every format is converted here into an :class:`ArticleIn` and handed to the store
stage. A bad file or line is reported in one line and skipped; the rest goes on.
"""

from __future__ import annotations

import gzip
import os
import stat
import unicodedata
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
from storyline.text.dates import SANE_EARLIEST, parse_datetime, sane_datetime
from storyline.text.jsonio import json_objects

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
BINARY_PROBE_BYTES = 8192  # how much of a file is looked at to tell text from binary
MAX_CONTROL_SHARE = 0.05  # more control characters than this in the probe: binary
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff")  # text with NUL bytes (UTF-32 LE starts so too)


@dataclass(slots=True)
class ImportOptions:
    outlet: str | None = None
    url: str | None = None
    published: datetime | None = None
    near_threshold: float = 0.6
    window_days: int = 14
    follow_links: bool = False  # follow symbolic links met inside a folder argument


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


def _walk(folder: Path, follow_links: bool, skipped: list[str]) -> list[Path]:
    """The importable regular files under ``folder``. A symbolic link is not followed
    (one line in ``skipped``) unless ``follow_links``; then a link to anything but a
    regular file or a folder is still skipped, and a folder is walked once."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, names in os.walk(folder, followlinks=follow_links):
        here = Path(root)
        info = here.stat()
        if (info.st_dev, info.st_ino) in seen:  # a link loop or a folder linked twice
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        if not follow_links:
            for name in dirs:
                if (here / name).is_symlink():
                    skipped.append(f"{here / name}: skipped: a symbolic link to a folder "
                                   "(not followed without --follow-links)")
        dirs.sort()
        for name in sorted(names):
            path = here / name
            if _kind(path) is None:
                continue
            try:
                mode = path.lstat().st_mode
                if stat.S_ISLNK(mode):
                    if not follow_links:
                        skipped.append(f"{path}: skipped: a symbolic link to "
                                       f"{os.readlink(path)} (not followed without "
                                       "--follow-links)")
                        continue
                    mode = path.stat().st_mode
            except OSError as exc:
                skipped.append(f"{path}: skipped: cannot read ({exc.strerror or exc})")
                continue
            if not stat.S_ISREG(mode):
                skipped.append(f"{path}: skipped: not a regular file")
                continue
            found.append(path)
    return found


def expand_paths(paths: list[Path], *, follow_links: bool = False,
                 skipped: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """Files to import (folders walked in name order) and one-line errors; each file of
    a folder left out (a symbolic link, not a regular file) is one line in ``skipped``."""
    files: list[Path] = []
    errors: list[str] = []
    skipped = [] if skipped is None else skipped
    for path in paths:
        if path.is_dir():
            before = len(skipped)
            found = _walk(path, follow_links, skipped)
            if not found and len(skipped) == before:
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


def looks_binary(data: bytes) -> bool:
    """True for bytes that are no text file: a NUL byte (outside UTF-16/32 with a BOM) or
    many control characters in the first ``BINARY_PROBE_BYTES``."""
    probe = data[:BINARY_PROBE_BYTES]
    if probe.startswith(_UTF16_32_BOMS):
        return False
    if b"\x00" in probe:
        return True
    if not probe:
        return False
    text = probe.decode("utf-8", errors="replace")
    odd = sum(1 for ch in text if ch == "\ufffd" or (
        unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v"))
    return odd > MAX_CONTROL_SHARE * len(text)


def _out_of_range(field_name: str, value: object) -> str:
    return (f"warning: {field_name}: {value!s:.40} is out of range (before "
            f"{SANE_EARLIEST.year} or in the future); imported without a date")


def _checked_date(value: datetime | None, field_name: str, where: str,
                  notes: list[str]) -> datetime | None:
    """A date read from a file, None (with one note naming the field) when absurd."""
    if value is None:
        return None
    sane = sane_datetime(value)
    if sane is None:
        notes.append(f"{where}: {_out_of_range(field_name, value.isoformat())}")
    return sane


def article_from_html(data: bytes, path: Path, opts: ImportOptions,
                      notes: list[str] | None = None) -> ArticleIn | str:
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
        published=opts.published or _checked_date(page.published, "published", str(path),
                                                  [] if notes is None else notes),
        language=page.language,
        image_url=page.image_url, image_caption=page.image_caption,
        image_credit=page.image_credit, extraction_method=page.method, links=page.links,
    )


def article_from_text(raw: str, opts: ImportOptions, notes: list[str] | None = None,
                      where: str = "") -> ArticleIn | str:
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
    published = opts.published or _checked_date(parsed.published, "published", where,
                                                [] if notes is None else notes)
    if opts.published and "published" in inferred:
        inferred.remove("published")
    url = canonicalize_url(opts.url) if opts.url else None
    return ArticleIn(
        title=parsed.title, text=parsed.text, url=url, original_url=opts.url, outlet=outlet,
        published=published, image_caption=parsed.image_caption,
        image_credit=parsed.image_credit, extraction_method="plain-text",
        inferred_fields=inferred, language="en",
    )


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _jsonl_date(value: object, field_name: str = "published") -> tuple[datetime | None,
                                                                         str | None]:
    """The date of a JSONL field and a warning naming the field when it is dropped."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        return None, (f"warning: {field_name}: not a date ({_kind_of(value)}); imported "
                      "without a date")
    parsed = parse_datetime(value)
    if parsed is None:
        return None, (f"warning: {field_name}: not a date ({value.strip()!r:.60}); "
                      "imported without a date")
    sane = sane_datetime(parsed)
    if sane is None:
        return None, _out_of_range(field_name, value.strip())
    return sane, None


def articles_from_jsonl(text: str, path: Path, notes: list[str] | None = None
                        ) -> Iterator[tuple[int, ArticleIn | str]]:
    """(line number, article or one-line error) for each non-blank line; a field that
    is dropped but leaves the article usable is one line in ``notes``."""
    for lineno, obj in json_objects(text):
        if isinstance(obj, str):
            yield lineno, obj
            continue
        title = obj.get("title")
        body = obj.get("text")
        wrong = [f"{name} is {_kind_of(value)}, not text" for name, value in
                 (("title", title), ("text", body)) if value is not None
                 and not isinstance(value, str)]
        if wrong:
            yield lineno, "; ".join(wrong) + "; skipped"
            continue
        if not isinstance(title, str) and not isinstance(body, str):
            yield lineno, "no title and no text"
            continue
        published, warning = _jsonl_date(obj.get("published"))
        if warning and notes is not None:
            notes.append(f"{path}:{lineno}: {warning}")
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
            published=published, language=obj.get("lang") or None,
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
    skipped: list[str] = []
    files, errors = expand_paths(paths, follow_links=opts.follow_links, skipped=skipped)
    report.errors.extend(errors)
    report.skipped += len(skipped)
    report.notes.extend(skipped)
    for done, path in enumerate(files, start=1):
        report.files += 1
        try:
            data = read_bytes(path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            _log_error(engine, str(path), f"cannot read: {exc}", report)
            continue
        kind = _kind(path)
        if looks_binary(data):
            report.skipped += 1
            report.notes.append(f"{path}: skipped: binary file, not {kind or 'text'}")
        elif kind == "jsonl":
            for lineno, item in articles_from_jsonl(decode_text(data), path, report.notes):
                if isinstance(item, str):
                    _log_error(engine, f"{path}:{lineno}", item, report)
                else:
                    _store(engine, item, opts, report)
        else:
            item = (article_from_html(data, path, opts, report.notes) if kind == "html"
                    else article_from_text(decode_text(data), opts, report.notes, str(path)))
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


