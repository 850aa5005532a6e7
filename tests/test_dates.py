"""The one date parser: golden readings per edge, all aware UTC.

The expected values were taken from the parsers each edge had before they became one
(``text/dates.py``, ``extract/page.py``, ``parse/jsonfeed.py``, ``fetch/http.py``,
``fetch/schedule.py``, ``parse/feed.py``), quirks included: a change here is a change
in what Storyline reads from the web.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storyline.extract.page import _parse_datetime as page_date
from storyline.fetch.http import parse_retry_after
from storyline.fetch.schedule import expires_in
from storyline.parse.jsonfeed import _parse_date as json_feed_date
from storyline.text.dates import (
    HTTP_LAYOUTS,
    INPUT_LAYOUTS,
    JSON_FEED_LAYOUTS,
    PAGE_LAYOUTS,
    as_utc,
    date_prefix,
    from_struct_time,
    iso8601,
    parse_datetime,
    rfc822,
    rfc3339,
)

INPUT = [  # JSONL files, the CLI, evaluation files
    ("2026-02-18", "2026-02-18T00:00:00+00:00"),
    ("2026-02-18T08:00:00Z", "2026-02-18T08:00:00+00:00"),
    ("2026-02-18T08:00:00-05:00", "2026-02-18T13:00:00+00:00"),
    ("2026-02-18 08:00", "2026-02-18T08:00:00+00:00"),
    ("  2026-02-18  ", "2026-02-18T00:00:00+00:00"),
    ("Feb 18, 2026", "2026-02-18T00:00:00+00:00"),
    ("18 February 2026 8am", "2026-02-18T08:00:00+00:00"),
    ("February 2026", "2026-02-01T00:00:00+00:00"),  # a month alone: its first day
    ("Wed, 18 Feb 2026 08:00:00 GMT", "2026-02-18T08:00:00+00:00"),
    ("2026-02-18T08:00:00z", "2026-02-18T08:00:00+00:00"),  # read free-form
    # Free-form reading keeps the wall time and drops the offset (as it always has).
    ("18 Feb 2026 08:00 +0100", "2026-02-18T08:00:00+00:00"),
    ("not a date", None),
    ("", None),
    ("   ", None),
]
PAGE = [  # <meta>, <time>, JSON-LD
    ("2026-02-18T08:00:00Z", "2026-02-18T08:00:00+00:00"),
    ("2026-02-18 08:00:00+01:00", "2026-02-18T07:00:00+00:00"),
    ("2026-02-18", "2026-02-18T00:00:00+00:00"),
    ("20260218T0800Z", "2026-02-18T08:00:00+00:00"),
    ("  2026-02-18T08:00:00Z ", "2026-02-18T08:00:00+00:00"),
    ("Wed, 18 Feb 2026 08:00:00 GMT", "2026-02-18T08:00:00+00:00"),
    ("Wed, 18 Feb 2026 08:00:00 +0100", "2026-02-18T07:00:00+00:00"),
    ("18 Feb 2026 08:00:00 -0000", "2026-02-18T08:00:00+00:00"),  # zone unknown: UTC
    ("2026-02-18 at noon", "2026-02-18T00:00:00+00:00"),  # the date it starts with
    ("2026/02/18 10:00", "2026-02-18T00:00:00+00:00"),
    ("2026-02-18T08:00:00z", "2026-02-18T00:00:00+00:00"),  # only the date prefix reads
    ("2026-02-30", None),
    ("February 18, 2026", None),  # no free-form reading of page metadata
    ("", None),
]
JSON_FEED = [
    ("2026-02-18T08:00:00Z", "2026-02-18T08:00:00+00:00"),
    ("2026-02-18T08:00:00z", "2026-02-18T08:00:00+00:00"),
    ("2026-02-18t08:00:00+02:00", "2026-02-18T06:00:00+00:00"),
    ("2026-02-18", "2026-02-18T00:00:00+00:00"),
    (" 2026-02-18T08:00:00Z ", "2026-02-18T08:00:00+00:00"),
    ("Wed, 18 Feb 2026 08:00:00 GMT", None),  # not RFC 3339
    ("", None),
]
HTTP = [
    ("Wed, 18 Feb 2026 08:02:00 GMT", "2026-02-18T08:02:00+00:00"),
    ("Wed, 18 Feb 2026 09:02:00 +0100", "2026-02-18T08:02:00+00:00"),
    ("Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37+00:00"),
    ("2026-02-18T08:00:00Z", None),
    ("0", None),
    ("-1", None),
    ("", None),
]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    assert value.tzinfo is UTC, value  # aware UTC, never another zone or naive
    return value.isoformat()


@pytest.mark.parametrize(("layouts", "value", "expected"),
                         [(INPUT_LAYOUTS, v, e) for v, e in INPUT]
                         + [(PAGE_LAYOUTS, v, e) for v, e in PAGE]
                         + [(JSON_FEED_LAYOUTS, v, e) for v, e in JSON_FEED]
                         + [(HTTP_LAYOUTS, v, e) for v, e in HTTP])
def test_golden_readings(layouts: tuple, value: str, expected: str | None) -> None:
    assert _iso(parse_datetime(value, layouts)) == expected


def test_default_table_is_the_input_one() -> None:
    for value, expected in INPUT:
        assert _iso(parse_datetime(value)) == expected


def test_relative_free_form_dates_read_against_the_clock() -> None:
    got = parse_datetime("yesterday")
    assert got is not None and got.tzinfo is UTC
    assert abs(got - (datetime.now(UTC) - timedelta(days=1))) < timedelta(minutes=5)


def test_layouts_read_one_way_of_writing_each() -> None:
    assert iso8601("2026-02-18T08:00:00Z") == datetime(2026, 2, 18, 8, tzinfo=UTC)
    assert iso8601("2026-02-18T08:00") == datetime(2026, 2, 18, 8)  # naive: UTC later
    assert iso8601("2026-02-18T08:00:00z") is None
    assert rfc3339("2026-02-18T08:00:00z") == datetime(2026, 2, 18, 8, tzinfo=UTC)
    assert rfc822("Wed, 18 Feb 2026 08:00:00 GMT") == datetime(2026, 2, 18, 8, tzinfo=UTC)
    assert rfc822("2026-02-18") is None
    assert date_prefix("2026-02-18T08:00:00z") == datetime(2026, 2, 18)
    assert date_prefix("on 2026-02-18") is None
    plus_one = timezone(timedelta(hours=1))
    assert as_utc(datetime(2026, 2, 18, 9, tzinfo=plus_one)) == datetime(2026, 2, 18, 8, tzinfo=UTC)
    assert as_utc(datetime(2026, 2, 18, 9)).tzinfo is UTC


def test_page_dates_outside_1990_to_next_year_are_dropped() -> None:
    assert page_date("1990-01-01T00:00:00Z") == datetime(1990, 1, 1, tzinfo=UTC)
    assert page_date("1989-12-31T10:00:00Z") is None
    assert page_date("2100-01-01") is None
    assert page_date(None) is None
    assert _iso(page_date("Wed, 18 Feb 2026 08:00:00 +0100")) == "2026-02-18T07:00:00+00:00"


def test_json_feed_dates_accept_numbers_and_nothing_else() -> None:
    assert _iso(json_feed_date(20260218)) == "2026-02-18T00:00:00+00:00"
    assert json_feed_date(None) is None
    assert json_feed_date(True) is None
    assert json_feed_date({"date": "2026-02-18"}) is None


def test_http_headers_count_seconds_from_now() -> None:
    now = datetime(2026, 2, 18, 8, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 18 Feb 2026 09:02:00 +0100", now) == 120.0
    assert parse_retry_after("Wed, 18 Feb 2026 07:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert expires_in("Wed, 18 Feb 2026 08:02:00 GMT", now) == 120.0
    assert expires_in("Wed, 18 Feb 2026 07:00:00 GMT", now) is None
    assert expires_in("0", now) is None
    assert expires_in(datetime(2026, 2, 18, 8, 1), now) == 60.0  # naive: UTC


def test_feedparser_struct_times() -> None:
    assert from_struct_time(time.gmtime(1771401600)) == datetime(2026, 2, 18, 8, tzinfo=UTC)
    assert from_struct_time(time.struct_time((2026, 2, 30, 0, 0, 0, 0, 0, 0))) is None
    assert from_struct_time((2026, 2, 18, 8, 0, 0)) is None
    assert from_struct_time(None) is None
