"""extract_html on benchmark pages (golden-style) and on synthetic pages for decoding and images."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from storyline.extract.page import decode_html, extract_html
from tests.helpers import BENCH


def benchmark_page(page_id: str) -> tuple[bytes, str]:
    truth = json.loads((BENCH / "ground-truth.json").read_text("utf-8"))
    raw = gzip.decompress((BENCH / "html" / f"{page_id}.html.gz").read_bytes())
    return raw, truth[page_id]["url"]


SPACE = "686bb170effe273eaff1c0f88e412172e8d972518a6d1454c896f52aafaa9643"
CNBC = "374ac9a59a85196cdacc1679fb8993521a7b7d9d6533720f102300be1c7face4"
BILLBOARD = "9cb8224b660f36c932823ab613fb76a07928fcbc41956c4c1f96f4ecab9202aa"


@pytest.mark.needs_shared
def test_space_page_golden() -> None:
    raw, url = benchmark_page(SPACE)
    page = extract_html(raw, url)
    assert page is not None
    assert page.title == "The Weird Plumes of Jupiter's Moon Europa Are Spewing Water Vapor"
    assert page.byline == "Mike Wall"
    assert page.published == datetime(2019, 11, 18, 20, 51, 19, tzinfo=UTC)
    assert page.language == "en"
    assert page.site_name == "Space.com"
    assert (
        page.canonical_url == "https://www.space.com/jupiter-moon-europa-water-vapor-confirmed.html"
    )
    assert page.image_url is not None and page.image_url.startswith(
        "https://cdn.mos.cms.futurecdn.net/"
    )
    assert page.text.startswith(
        "The Jupiter moon Europa's elusive and enigmatic water-vapor plumes"
    )
    assert "Related: Possible Water Plumes on Europa" not in page.text
    assert "Need more space? Subscribe" not in (page.image_caption or "")
    assert "https://www.space.com/36464-jupiter-moon-europa-water-plume-hubble.html" in page.links
    assert all(link.startswith("http") for link in page.links) and len(page.links) <= 50


@pytest.mark.needs_shared
def test_cnbc_page_golden() -> None:
    raw, url = benchmark_page(CNBC)
    page = extract_html(raw, url)
    assert page is not None
    assert page.title is not None and page.title.startswith(
        "Emirates inks $9 billion order for 30 Boeing 787 jets"
    )
    assert page.byline == "Natasha Turak"
    assert page.site_name == "CNBC"
    assert page.published is not None and page.published.date().isoformat() == "2019-11-20"
    assert page.text.startswith(
        "DUBAI, United Arab Emirates — Dubai's flagship carrier Emirates Airline"
    )
    assert "\n" in page.text and "  " not in page.text
    assert any("boeing-wins-second-dreamliner-order" in link for link in page.links)


@pytest.mark.needs_shared
def test_billboard_tour_dates_list_kept() -> None:
    raw, url = benchmark_page(BILLBOARD)
    page = extract_html(raw, url)
    assert page is not None
    assert "June 9 -- Coral Sky Amphitheatre, West Palm Beach, FL" in page.text
    assert page.text.rstrip().endswith(
        "Oct. 10 -- The Cynthia Woods Mitchell Pavilion, Houston, TX"
    )
    assert "A half century on, The Doobie Brothers are still smoking." in page.text


PARAGRAPHS = [
    "Le café Zürich a rouvert ses portes mardi après trois années de travaux dans le quartier historique.",
    "Les habitués ont salué la décision de la municipalité de préserver la façade élégante du bâtiment.",
    "Selon le propriétaire, la crème brûlée reste le dessert le plus demandé par les clients fidèles.",
    "Les travaux ont coûté près de deux millions d'euros, financés en partie par la région et la ville.",
]


def article_html(head: str = "", body_extra: str = "", charset_meta: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html lang='fr'><head>{charset_meta}<title>Réouverture du café | Le Journal</title>"
        f"{head}</head><body><nav><a href='/'>Accueil</a><a href='/monde'>Monde</a></nav>"
        f"<article><h1>Réouverture du café</h1>{body_extra}{paragraphs}</article>"
        "<footer>Mentions légales · Contact</footer></body></html>"
    )


def test_cp1252_page_with_meta_charset() -> None:
    data = article_html(charset_meta='<meta charset="windows-1252">').encode("cp1252")
    page = extract_html(data, "https://journal.example/a")
    assert page is not None
    assert "Le café Zürich a rouvert" in page.text
    assert page.title == "Réouverture du café"
    assert page.language == "fr"


def test_header_says_utf8_but_bytes_are_cp1252() -> None:
    data = article_html().encode("cp1252")
    page = extract_html(data, "https://journal.example/a", content_type="text/html; charset=utf-8")
    assert page is not None
    assert "crème brûlée" in page.text
    assert "\ufffd" not in page.text


def test_header_charset_wins_over_wrong_meta_and_latin1_label_on_utf8() -> None:
    utf8 = article_html(charset_meta='<meta charset="iso-8859-1">').encode("utf-8")
    assert "façade élégante" in decode_html(utf8, "text/html; charset=ISO-8859-1")
    cp = article_html(charset_meta='<meta charset="utf-8">').encode("cp1252")
    assert "façade élégante" in decode_html(cp, "text/html; charset=windows-1252")


@pytest.mark.parametrize(
    "junk",
    [
        "",
        b"",
        "   \n ",
        bytes(range(256)) * 40,
        b"\x89PNG\r\n\x1a\n" + bytes(200),
        "<html><p>unclosed",
        "plain words only",
    ],
)
def test_empty_and_junk_input_returns_none(junk: str | bytes) -> None:
    assert extract_html(junk, "https://journal.example/a") is None


def test_relative_og_image_and_figure_caption() -> None:
    head = (
        '<meta property="og:image" content="/images/2026/lead-photo.jpg">'
        '<link rel="canonical" href="/2026/02/cafe-reopens">'
    )
    figure = (
        '<figure><img src="/images/2026/lead-photo.jpg" alt="">'
        "<figcaption>Le café Zürich lors de sa réouverture, le 17 février 2026."
        '<span class="credit">Photo: Jean Dupont / AFP</span></figcaption></figure>'
    )
    link = '<p>Le maire a <a href="/politique/budget-2026">présenté le budget</a> de la ville pour la nouvelle année en cours.</p>'
    page = extract_html(
        article_html(head=head, body_extra=figure + link), "https://journal.example/news/a.html"
    )
    assert page is not None
    assert page.image_url == "https://journal.example/images/2026/lead-photo.jpg"
    assert page.canonical_url == "https://journal.example/2026/02/cafe-reopens"
    assert page.image_caption == "Le café Zürich lors de sa réouverture, le 17 février 2026."
    assert page.image_credit == "Jean Dupont / AFP"
    assert page.links == ["https://journal.example/politique/budget-2026"]


def test_caption_credit_split_from_text_and_og_alt_fallback() -> None:
    figure = "<figure><img src='/x.jpg'><figcaption>Delegations wait for talks in Geneva, Feb 17, 2026. / Reuters</figcaption></figure>"
    page = extract_html(article_html(body_extra=figure), "https://journal.example/a")
    assert page is not None
    assert page.image_caption == "Delegations wait for talks in Geneva, Feb 17, 2026."
    assert page.image_credit == "Reuters"
    head = '<meta property="og:image" content="https://cdn.example/x.jpg"><meta property="og:image:alt" content="The reopened café (Getty Images)">'
    page = extract_html(article_html(head=head), "https://journal.example/a")
    assert page is not None
    assert page.image_caption == "The reopened café"
    assert page.image_credit == "Getty Images"


def test_broken_html_with_real_paragraphs_still_extracts() -> None:
    broken = "<html><body><div><p>" + "<p>".join(PARAGRAPHS) + "<div><span>"
    page = extract_html(broken.encode("utf-8"), None)
    assert page is not None
    assert PARAGRAPHS[0] in page.text and PARAGRAPHS[3] in page.text
    assert page.canonical_url is None and page.links == []
