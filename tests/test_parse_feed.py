from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storyline.models import ParsedFeed
from storyline.parse import FeedParseError, parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
FEED_URL = "https://feeds.example.com/x/feed.xml"


def parse(name: str, *, url: str = FEED_URL, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), url=url, content_type=content_type)


def test_rss091() -> None:
    feed = parse("rss091.xml")
    assert (feed.format, feed.title, feed.site_url) == (
        "rss",
        "Harbour Gazette",
        "https://gazette.example.org/",
    )
    assert [e.title for e in feed.entries] == [
        "Ferry schedule changes for winter",
        "Lighthouse reopens",
    ]
    first = feed.entries[0]
    assert first.url == "https://gazette.example.org/2024/ferry-winter"
    assert first.guid == first.url  # no <guid>: the link is the identity
    assert first.summary_html == "The harbour ferry will run every 40 minutes from November."
    assert first.published is None
    assert feed.warnings == []


def test_rss10_rdf_with_syndication_ttl() -> None:
    feed = parse("rss10.rdf")
    assert feed.format == "rdf"
    assert feed.title == "Science Desk"
    assert feed.ttl_seconds == 1800  # hourly, twice
    comet, coral = feed.entries
    assert comet.published == datetime(2024, 3, 5, 16, 30, tzinfo=UTC)
    assert comet.author == "Ana Ruiz"
    assert comet.guid == "https://science.example.net/a/comet"
    assert coral.published == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def test_rss20_content_encoded_media_and_relative_links() -> None:
    feed = parse("rss20_content.xml")
    assert feed.format == "rss"
    assert feed.title == "Metro Daily — World"
    assert feed.ttl_seconds == 15 * 60
    summit, rail, museum = feed.entries
    assert summit.guid == "metro-10001"
    assert summit.summary_html == "Leaders agreed to <b>cut emissions</b>."
    assert summit.content_html is not None
    assert summit.content_html.startswith("<p>Leaders of 40 countries")
    # relative link inside content resolved against the feed URL
    assert 'href="https://feeds.example.com/world/summit-text"' in summit.content_html
    assert summit.image_url == "https://img.example.com/summit.jpg"
    assert summit.author == "Lena Fischer"
    assert summit.published == datetime(2024, 3, 5, 13, 0, tzinfo=UTC)
    assert summit.published.tzinfo is UTC

    assert rail.title == "Rail strike called off — “deal reached”"
    assert rail.url == "https://feeds.example.com/world/rail-strike"
    assert rail.guid == "https://metro.example.com/world/rail-strike"
    assert rail.image_url == "https://feeds.example.com/img/rail.png"  # image enclosure
    assert rail.content_html is None

    assert museum.guid == "metro-10003"  # a non-URL guid is kept as written
    assert museum.image_url == "https://img.example.com/museum-thumb.jpg"


def test_atom_xml_base_resolution() -> None:
    feed = parse("atom_xmlbase.xml")
    assert feed.format == "atom"
    assert feed.title == "Field Notes"
    assert feed.site_url == "https://blog.example.io/"
    spring, winter = feed.entries
    assert spring.url == "https://blog.example.io/journal/2024/03/spring-migration"
    assert spring.title == "Spring migration begins"  # type="html" title, tags stripped
    assert spring.guid == "tag:blog.example.io,2024:1"
    assert spring.author == "Sam Ortega"
    assert spring.published == datetime(2024, 3, 6, 14, 30, tzinfo=UTC)
    assert spring.summary_html == "Cranes were seen over the marsh &amp; the river."
    assert spring.content_html is not None
    assert 'src="https://blog.example.io/journal/img/crane.jpg"' in spring.content_html
    # entry-level xml:base overrides the feed's
    assert winter.url == "https://other.example.io/archive/winter"
    assert winter.content_html == "<p>Snow all month.</p>"
    assert winter.summary_html is None
    assert winter.published == datetime(2024, 2, 28, 12, 0, tzinfo=UTC)  # from <updated>


def test_json_feed_11() -> None:
    feed = parse("jsonfeed11.json", url="https://wire.example.dev/feed.json")
    assert feed.format == "json"
    assert feed.title == "Tiny Wire"
    assert feed.site_url == "https://wire.example.dev/"
    assert len(feed.entries) == 2
    bridge, market = feed.entries
    assert bridge.guid == "2024-03-05-bridge"
    assert bridge.url == "https://wire.example.dev/2024/03/05/bridge"
    assert bridge.content_html == "<p>The bridge stays closed until May.</p>"
    assert bridge.summary_html == "<p>Closed until May.</p>"
    assert bridge.published == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert bridge.author == "Kim Lee"
    assert bridge.image_url == "https://wire.example.dev/img/bridge.jpg"
    assert market.guid == "42"
    assert market.title == "Farmers market moves indoors. It opens Saturday."
    assert market.content_html == "<p>Farmers market moves indoors.</p><p>It opens Saturday.</p>"
    assert market.author == "Wire Staff"  # feed-level authors
    assert any("duplicate GUID" in w and "2024-03-05-bridge" in w for w in feed.warnings)


def test_json_feed_10_author_and_content_type_detection() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Old JSON",
        "items": [
            {
                "id": "x1",
                "url": "https://old.example.com/x1",
                "content_text": "Body",
                "author": {"name": "Pat"},
                "date_published": "2999-01-01T00:00:00Z",
            }
        ],
    }
    feed = parse_feed(
        json.dumps(doc).encode(), url="https://old.example.com/f", content_type="application/json"
    )
    (entry,) = feed.entries
    assert entry.author == "Pat"
    assert entry.title == "Body"
    assert entry.published is None
    assert any("in the future" in w for w in feed.warnings)


def test_malformed_json_feed_is_an_error() -> None:
    with pytest.raises(FeedParseError, match=r"^malformed JSON: .*line 1$"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [', url=FEED_URL)


def test_malformed_xml_without_entries() -> None:
    with pytest.raises(FeedParseError) as info:
        parse("malformed.xml")
    message = str(info.value)
    assert message.startswith("malformed XML: ")
    assert message.endswith("line 5")
    assert "\n" not in message


def test_recoverable_bozo_becomes_warning() -> None:
    feed = parse("entity_recoverable.xml")
    assert [e.guid for e in feed.entries] == ["ent-1", "ent-2"]
    assert feed.entries[1].title == "Second story"
    assert any(
        w.startswith("recovered from malformed XML: undefined entity") for w in feed.warnings
    )


def test_html_page_reports_alternates() -> None:
    with pytest.raises(FeedParseError) as info:
        parse("page.html", url="https://metro.example.com/", content_type="text/html")
    assert str(info.value) == (
        "got an HTML page, not a feed (did you mean its <link rel=alternate> feed?)"
    )
    assert info.value.alternates == [
        "https://metro.example.com/feeds/world.rss",
        "https://metro.example.com/feeds/all.atom",
    ]


def test_html_page_without_doctype_or_alternates() -> None:
    body = b"<html><head><title>x</title></head><body>hello</body></html>"
    with pytest.raises(FeedParseError, match="^got an HTML page") as info:
        parse_feed(body, url=FEED_URL, content_type="application/rss+xml")
    assert info.value.alternates == []


@pytest.mark.parametrize("body", [b"", b"   \n\t  "])
def test_empty_body(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="^empty response body$"):
        parse_feed(body, url=FEED_URL)


def test_empty_fixture_file() -> None:
    with pytest.raises(FeedParseError, match="^empty response body$"):
        parse("empty.xml")


@pytest.mark.parametrize(
    "body",
    [
        b"just some plain text, not a feed",
        b'<?xml version="1.0"?><catalog><book id="1">A</book></catalog>',
        b'{"hello": "world"}',
    ],
)
def test_unknown_format(body: bytes) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, url=FEED_URL)
    message = str(info.value)
    assert "not RSS, Atom or JSON Feed" in message or message.startswith("JSON document")


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("cp1252_undeclared.xml", "no charset declared"),
        ("cp1252_declared_utf8.xml", "declared charset utf-8"),
        ("cp1252_declared_latin1.xml", None),
    ],
)
def test_cp1252_feeds_decode_correctly(name: str, warning: str | None) -> None:
    feed = parse(name)
    assert feed.title == "Café – Nachrichten"
    assert [e.title for e in feed.entries] == [
        "“Smart quotes” and cafés — €5",
        "Straße gesperrt",
    ]
    assert feed.entries[0].summary_html == "Naïve résumé ’tis"
    assert feed.entries[1].summary_html == "über München"
    if warning is None:
        assert feed.warnings == []
    else:
        assert len(feed.warnings) == 1 and feed.warnings[0].startswith(warning)


def test_header_charset_wrong_but_bytes_utf8() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Zürich</title>'
        "<item><title>Grüße</title><guid>g</guid></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, url=FEED_URL, content_type="application/rss+xml; charset=ISO-8859-1")
    assert feed.title == "Zürich"
    assert feed.entries[0].title == "Grüße"
    assert any("read as UTF-8" in w for w in feed.warnings)


def test_utf16_with_bom() -> None:
    text = '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Ωmega</title><item><title>ä</title><guid>1</guid></item></channel></rss>'
    feed = parse_feed(text.encode("utf-16"), url=FEED_URL)
    assert feed.title == "Ωmega"
    assert feed.entries[0].title == "ä"


def test_duplicate_guids_keep_first() -> None:
    feed = parse("dup_guids.xml")
    assert [(e.guid, e.title) for e in feed.entries] == [
        ("A", "First A"),
        ("B", "B"),
        ("https://dup.example.com/c", "No guid"),
    ]
    (warning,) = feed.warnings
    assert warning.startswith("2 entries with a duplicate GUID dropped (first kept)")


def test_dates_and_missing_titles() -> None:
    before = datetime.now(UTC)
    feed = parse("dates_titles.xml")
    by_guid = {e.guid: e for e in feed.entries}
    assert list(by_guid) == ["d1", "d2", "d3", "d4", "d5"]
    assert by_guid["d1"].published is None
    assert by_guid["d2"].published is None  # year 2100
    assert by_guid["d3"].published is None  # unparseable
    assert by_guid["d4"].published == datetime(2024, 3, 7, 4, 30, tzinfo=UTC)
    future = [w for w in feed.warnings if "in the future" in w]
    assert len(future) == 1 and "d2" in future[0] and "2100-01-01" in future[0]
    untitled = by_guid["d4"].title
    assert untitled is not None
    assert untitled.startswith("An untitled item whose summary is long enough")
    assert untitled.endswith("…") and len(untitled) <= 101
    assert "  " not in untitled and "<p>" not in untitled
    assert by_guid["d5"].title is None  # nothing to take a title from
    for entry in feed.entries:
        assert entry.published is None or entry.published <= before + timedelta(days=1)


def test_date_slightly_ahead_is_kept() -> None:
    soon = datetime.now(UTC) + timedelta(hours=3)
    stamp = soon.strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = (
        f'<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>s</guid>'
        f"<pubDate>{stamp}</pubDate></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, url=FEED_URL)
    assert feed.entries[0].published == soon.replace(microsecond=0)
    assert feed.warnings == []


def test_feed_with_no_entries_is_valid() -> None:
    body = b'<rss version="2.0"><channel><title>Quiet</title><ttl>60</ttl></channel></rss>'
    feed = parse_feed(body, url=FEED_URL)
    assert feed.entries == [] and feed.title == "Quiet" and feed.ttl_seconds == 3600
