from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from storyline.fetch.schedule import cache_control_max_age, expires_in, next_check

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def delay(**kwargs: Any) -> float:
    args: dict[str, Any] = {
        "status": 200,
        "ttl_seconds": None,
        "cache_control": None,
        "expires": None,
        "retry_after_s": None,
        "error_count": 0,
    }
    args.update(kwargs)
    result = next_check(NOW, **args)
    assert result.tzinfo is not None
    return (result - NOW).total_seconds()


def test_default_interval_without_hints() -> None:
    assert delay() == 1800
    assert delay(status=304) == 1800


def test_cache_control_max_age() -> None:
    assert delay(cache_control="public, max-age=3600") == 3600
    assert delay(cache_control="max-age=60") == 300  # clamped to min
    assert delay(cache_control="max-age=999999") == 86400  # clamped to max
    assert delay(cache_control="no-cache, max-age=3600") == 1800  # no usable hint


def test_expires_header() -> None:
    expires = format_datetime(NOW + timedelta(hours=2), usegmt=True)
    assert delay(expires=expires) == 7200
    assert delay(expires=NOW + timedelta(minutes=45)) == 2700
    assert delay(expires="0") == 1800
    assert delay(expires=format_datetime(NOW - timedelta(hours=1), usegmt=True)) == 1800


def test_feed_ttl_and_longest_hint_wins() -> None:
    assert delay(ttl_seconds=900) == 900
    assert delay(ttl_seconds=60) == 300
    assert delay(ttl_seconds=7200, cache_control="max-age=600") == 7200
    assert delay(ttl_seconds=600, cache_control="max-age=5400") == 5400


def test_custom_bounds() -> None:
    assert delay(min_interval_s=60, cache_control="max-age=120") == 120
    assert delay(max_interval_s=3600, ttl_seconds=7200) == 3600
    assert delay(default_interval_s=600) == 600


@pytest.mark.parametrize(
    ("error_count", "expected"),
    [(1, 1800), (2, 3600), (3, 7200), (4, 14400), (5, 28800), (6, 57600), (7, 86400), (40, 86400)],
)
def test_exponential_backoff(error_count: int, expected: float) -> None:
    assert delay(status=500, error_count=error_count) == expected


def test_backoff_ignores_cache_hints() -> None:
    assert delay(status=500, error_count=1, cache_control="max-age=80000") == 1800


def test_network_error_without_count_backs_off_once() -> None:
    assert delay(status=None, error_count=0) == 1800
    assert delay(status=404, error_count=0) == 1800


def test_retry_after_is_a_floor_on_errors() -> None:
    assert delay(status=503, error_count=1, retry_after_s=7200) == 7200
    assert delay(status=429, error_count=3, retry_after_s=60) == 7200  # backoff already longer
    assert delay(status=429, error_count=1, retry_after_s=3 * 86400) == 3 * 86400  # above max
    assert delay(status=429, error_count=1, retry_after_s=60 * 86400) == 7 * 86400  # capped


def test_retry_after_respected_on_success_too() -> None:
    assert delay(status=200, retry_after_s=5000) == 5000


def test_naive_now_treated_as_utc() -> None:
    result = next_check(
        datetime(2024, 1, 1, 0, 0),
        status=200,
        ttl_seconds=None,
        cache_control=None,
        expires=None,
        retry_after_s=None,
        error_count=0,
    )
    assert result == datetime(2024, 1, 1, 0, 30, tzinfo=UTC)


def test_helpers() -> None:
    assert cache_control_max_age('private, max-age="120"') == 120
    assert cache_control_max_age("s-maxage=30") == 30
    assert cache_control_max_age("max-age=10, s-maxage=30") == 10
    assert cache_control_max_age("no-store") is None
    assert cache_control_max_age(None) is None
    assert expires_in("garbage", NOW) is None
    assert expires_in(NOW + timedelta(seconds=90), NOW) == 90
