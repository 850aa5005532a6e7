from __future__ import annotations

import pytest

from storyline.fetch.urls import canonicalize_url, host_of, is_public_address

CANONICAL = "https://example.com/news/2024/story"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/news/2024/story",
        "HTTPS://EXAMPLE.COM/news/2024/story",
        "https://www.example.com/news/2024/story",
        "https://m.example.com/news/2024/story",
        "https://mobile.example.com/news/2024/story",
        "https://amp.example.com/news/2024/story",
        "https://example.com:443/news/2024/story",
        "https://example.com/news/2024/story/",
        "https://example.com/news/2024/story#comments",
        "https://example.com/news/2024/story?utm_source=rss&utm_medium=feed&utm_campaign=x",
        "https://example.com/news/2024/story?fbclid=abc&gclid=def&mc_cid=1&mc_eid=2",
        "https://example.com/news/2024/story?ocid=a&cmpid=b&ref=c&ref_src=d&_ga=e&igshid=f&spm=g",
        "https://example.com/amp/news/2024/story",
        "https://example.com/news/2024/story/amp",
        "https://example.com/news/2024/story/amp/",
        "https://example.com/news/2024/story?amp",
        "https://example.com/news/2024/story?amp=1",
        "https://example.com/news/2024/story?outputType=amp",
        "https://example.com/news/2024/./extra/../story",
        "https://example.com/news/%32%30%32%34/story",
        "  https://www.example.com/news/2024/story  ",
    ],
)
def test_variants_share_one_canonical_url(variant: str) -> None:
    assert canonicalize_url(variant) == CANONICAL


def test_amp_html_suffix_maps_to_html() -> None:
    assert canonicalize_url("https://amp.example.com/a/story.amp.html") == (
        "https://example.com/a/story.html"
    )
    assert canonicalize_url("https://example.com/a/story.html") == (
        "https://example.com/a/story.html"
    )


def test_query_params_are_sorted_and_content_params_kept() -> None:
    url = "https://example.com/search?q=climate&page=2&utm_term=x&id=7"
    assert canonicalize_url(url) == "https://example.com/search?id=7&page=2&q=climate"
    # outputType other than amp selects content and must stay
    assert canonicalize_url("https://example.com/a?outputType=print") == (
        "https://example.com/a?outputType=print"
    )


def test_query_encoding_is_normalised() -> None:
    a = canonicalize_url("https://example.com/s?q=new+york&x=%2fa")
    b = canonicalize_url("https://example.com/s?x=%2Fa&q=new%20york")
    assert a == b == "https://example.com/s?q=new%20york&x=/a"


def test_percent_encoding_normalised() -> None:
    assert canonicalize_url("https://example.com/%7euser/caf%c3%a9") == (
        "https://example.com/~user/caf%C3%A9"
    )
    assert canonicalize_url("https://example.com/café story") == (
        "https://example.com/caf%C3%A9%20story"
    )
    # an encoded slash is not a path separator and stays encoded
    assert canonicalize_url("https://example.com/a%2fb") == "https://example.com/a%2Fb"


def test_ports_and_root() -> None:
    assert canonicalize_url("http://example.com:80") == "http://example.com/"
    assert canonicalize_url("http://example.com:8080/x/") == "http://example.com:8080/x"
    assert canonicalize_url("https://example.com:80/") == "https://example.com:80/"
    assert canonicalize_url("https://example.com/") == "https://example.com/"


def test_relative_resolved_against_base() -> None:
    base = "https://www.example.com/section/index.html"
    assert canonicalize_url("../other/page?utm_source=x", base) == "https://example.com/other/page"
    assert canonicalize_url("/abs#top", base) == "https://example.com/abs"
    assert canonicalize_url("//cdn.example.net/x", base) == "https://cdn.example.net/x"


def test_host_prefix_only_stripped_when_a_domain_remains() -> None:
    assert canonicalize_url("https://m.co/x") == "https://m.co/x"
    assert canonicalize_url("https://www.m.example.org/x") == "https://example.org/x"


def test_idn_host_and_credentials() -> None:
    assert canonicalize_url("https://Bücher.DE/x") == "https://xn--bcher-kva.de/x"
    assert canonicalize_url("https://user:secret@example.com/x") == "https://example.com/x"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "data:text/html,hi",
        "https://",
        "http://exa mple.com/",
        "https://example.com:99999/",
        "just some words",
        "/relative/without/base",
    ],
)
def test_unusable_urls_give_none(bad: str) -> None:
    assert canonicalize_url(bad) is None


def test_host_of() -> None:
    assert host_of("HTTPS://WWW.Example.COM:8443/a?b") == "www.example.com"
    assert host_of("http://[::1]:8000/") == "::1"
    assert host_of("not a url") == ""


@pytest.mark.parametrize(
    "target",
    [
        "127.0.0.1",
        "http://127.0.0.1:8000/feed",
        "localhost",
        "http://localhost/",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "http://[::1]/",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "no-such-host.invalid",
        "",
    ],
)
def test_non_public_addresses(target: str) -> None:
    assert is_public_address(target) is False


@pytest.mark.parametrize("target", ["8.8.8.8", "http://1.1.1.1/", "2606:4700:4700::1111"])
def test_public_ip_literals(target: str) -> None:
    assert is_public_address(target) is True
