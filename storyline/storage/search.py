"""Full-text search over articles and stories (SQLite FTS5; PostgreSQL full text).

The indexes are kept current by the database (migration ``0004_search``): triggers feed
FTS5 on SQLite, stored generated ``tsvector`` columns on PostgreSQL. This module turns
what a person typed into a safe query and reads ranked hits with plain-text snippets.

Query syntax (the same on both databases, like a web search box): words are all
required; ``"a phrase"``; ``word*`` for a prefix; ``-word`` or ``NOT word`` to exclude;
``or`` between alternatives. Anything else (stray quotes, operators, emoji, SQL) is only
text: every word becomes a quoted term or a bound parameter, so no input raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Float, Integer, Text, text

from storyline.storage.schema import UTCDateTime
from storyline.text.lexicon import CONTRACTION_PIECES, FUNCTION_WORDS

__all__ = ["ArticleHit", "SearchResults", "StoryHit", "parse_query", "search"]

MAX_LIMIT = 200
MAX_ATOMS = 24  # words/phrases considered per query; the rest is ignored
SNIPPET_TOKENS = 32  # FTS5 snippet length; ts_headline is given a similar size
_OPEN, _CLOSE = "\x02", "\x03"  # match markers inside snippets, stripped before return
_ELLIPSIS = "…"

# PostgreSQL's English stop words (tsearch_data/english.stop): dropped from bare words on
# SQLite too, so that both databases answer a query alike. That list is the lexicon's
# function words without "also", "could" and "would", with the pieces of contractions.
STOP_WORDS = (FUNCTION_WORDS - {"also", "could", "would"}) | CONTRACTION_PIECES


@dataclass
class StoryHit:
    story_id: int
    headline: str
    snippet: str  # plain text from the summary, around the matches
    article_count: int
    last_time: datetime | None
    rank: float  # higher is better; comparable only within one result list
    marks: list[tuple[int, int]] = field(default_factory=list)  # matched spans in snippet


@dataclass
class ArticleHit:
    article_id: int
    title: str
    outlet: str | None
    url: str | None
    published: datetime | None
    story_id: int | None
    snippet: str  # plain text from the article, around the matches
    rank: float
    marks: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class SearchResults:
    query: str
    stories: list[StoryHit]
    articles: list[ArticleHit]


# ---- the query language ----------------------------------------------------------------

@dataclass(frozen=True)
class Atom:
    """One required or excluded word or phrase."""

    raw: str  # as typed, without quotes and operators (PostgreSQL parses it itself)
    words: tuple[str, ...]  # its letters-and-digits words, lower case
    prefix: bool = False
    negated: bool = False


_TOKEN_RE = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"?|(?P<bare>[^\s"]+)')
_WORD_RE = re.compile(r"[^\W_]+")


def _words(raw: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in _WORD_RE.findall(raw))


def parse_query(q: str) -> list[list[Atom]]:
    """The query as alternatives (``or``) of atoms that must all hold; atoms without a
    word (punctuation, emoji) are dropped, and so are alternatives with nothing
    required."""
    # Control characters (NUL included) and lone surrogates are spaces: neither database
    # driver can carry them, and they are never part of a word.
    q = unicodedata.normalize("NFKC", "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs") else c for c in q or ""))
    groups: list[list[Atom]] = [[]]
    negate_next = False
    count = 0
    for m in _TOKEN_RE.finditer(q):
        if count >= MAX_ATOMS:
            break
        if m.group("bare") is not None:
            chunk = m.group("bare")
            if chunk.casefold() == "or":
                if groups[-1]:
                    groups.append([])
                negate_next = False
                continue
            if chunk == "AND":
                continue
            if chunk == "NOT":
                negate_next = True
                continue
            negated = negate_next or (chunk.startswith("-") and len(chunk) > 1)
            prefix = chunk.endswith("*")
            raw = chunk.lstrip("-").rstrip("*")
        else:
            negated = negate_next or m.group("neg") == "-"
            prefix = False
            raw = m.group("phrase")
        negate_next = False
        words = _words(raw)
        if not words:
            continue
        groups[-1].append(Atom(raw=raw, words=words, prefix=prefix, negated=negated))
        count += 1
    return [g for g in groups if any(not a.negated for a in g)]


def _fts5_atom(atom: Atom) -> str:
    # Only letters and digits reach the quotes, so nothing in them is FTS5 syntax.
    return '"' + " ".join(atom.words) + '"' + ("*" if atom.prefix else "")


def _fts5_group(group: list[Atom]) -> str | None:
    positive = [a for a in group if not a.negated
                and not (len(a.words) == 1 and not a.prefix and a.words[0] in STOP_WORDS)]
    negative = [a for a in group if a.negated]
    if not positive:
        return None
    expr = " AND ".join(_fts5_atom(a) for a in positive)
    if negative:
        expr = f"({expr}) NOT ({' OR '.join(_fts5_atom(a) for a in negative)})"
    return f"({expr})"


def fts5_query(groups: list[list[Atom]]) -> str | None:
    """The FTS5 MATCH expression, or None when nothing searchable is left."""
    parts = [p for p in (_fts5_group(g) for g in groups) if p]
    return " OR ".join(parts) if parts else None


def tsquery_sql(groups: list[list[Atom]]) -> tuple[str, dict[str, str]] | None:
    """A PostgreSQL tsquery expression built from bound parameters, and the parameters."""
    params: dict[str, str] = {}

    def atom_sql(atom: Atom) -> str:
        name = f"w{len(params)}"
        if atom.prefix:
            # Words are letters and digits only: safe to quote for to_tsquery.
            params[name] = " <-> ".join(f"'{w}'" for w in atom.words) + ":*"
            expr = f"to_tsquery('english', :{name})"
        else:
            params[name] = atom.raw
            expr = f"phraseto_tsquery('english', :{name})"
        return f"(!! {expr})" if atom.negated else expr

    parts = []
    for group in groups:
        parts.append("(" + " && ".join(atom_sql(a) for a in group) + ")")
    if not parts:
        return None
    return " || ".join(parts), params


# ---- snippets ---------------------------------------------------------------------------

def _clean_snippet(raw: str | None) -> tuple[str, list[tuple[int, int]]]:
    """Plain text with whitespace collapsed, and the character spans of the matches."""
    if not raw:
        return "", []
    out: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in re.split(f"([{_OPEN}{_CLOSE}])", raw):
        if piece == _OPEN:
            start = length
        elif piece == _CLOSE:
            if start is not None and length > start:
                marks.append((start, length))
            start = None
        elif piece:
            collapsed = re.sub(r"\s+", " ", piece)
            if not out and start is None:
                collapsed = collapsed.lstrip()
            out.append(collapsed)
            length += len(collapsed)
    snippet = "".join(out)
    stripped = snippet.rstrip()
    return stripped, [(a, min(b, len(stripped))) for a, b in marks if a < len(stripped)]


# ---- SQLite -----------------------------------------------------------------------------

_SQLITE_STORIES = text(f"""
    SELECT s.id AS story_id, stories_fts.headline AS headline,
           snippet(stories_fts, 1, '{_OPEN}', '{_CLOSE}', '{_ELLIPSIS}', {SNIPPET_TOKENS})
               AS snippet,
           s.article_count AS article_count, s.last_time AS last_time,
           -bm25(stories_fts, 3.0, 1.0) AS rank
    FROM stories_fts JOIN stories AS s ON s.id = stories_fts.rowid
    WHERE stories_fts MATCH :q AND s.status = 'active'
    ORDER BY bm25(stories_fts, 3.0, 1.0), s.last_time DESC, s.id DESC
    LIMIT :limit
""").columns(story_id=Integer, headline=Text, snippet=Text, article_count=Integer,
             last_time=UTCDateTime, rank=Float)

_SQLITE_ARTICLES = text(f"""
    SELECT a.id AS article_id, a.title AS title, a.outlet AS outlet, a.url AS url,
           a.published AS published, m.story_id AS story_id,
           snippet(articles_fts, 1, '{_OPEN}', '{_CLOSE}', '{_ELLIPSIS}', {SNIPPET_TOKENS})
               AS snippet,
           -bm25(articles_fts, 4.0, 1.0, 0.5) AS rank
    FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid
    LEFT JOIN story_members AS m ON m.article_id = a.id
    WHERE articles_fts MATCH :q AND a.is_flagged = 0
    ORDER BY bm25(articles_fts, 4.0, 1.0, 0.5), a.published DESC, a.id DESC
    LIMIT :limit
""").columns(article_id=Integer, title=Text, outlet=Text, url=Text, published=UTCDateTime,
             story_id=Integer, snippet=Text, rank=Float)


def _sqlite_search(conn: Connection, groups: list[list[Atom]], limit: int
                   ) -> tuple[list[Any], list[Any]]:
    match = fts5_query(groups)
    if match is None:
        return [], []
    params = {"q": match, "limit": limit}
    return (list(conn.execute(_SQLITE_STORIES, params)),
            list(conn.execute(_SQLITE_ARTICLES, params)))


# ---- PostgreSQL -------------------------------------------------------------------------

_HEADLINE_OPTIONS = (f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords={SNIPPET_TOKENS}, "
                     f"MinWords={SNIPPET_TOKENS // 2}, ShortWord=3, MaxFragments=2, "
                     f'FragmentDelimiter=" {_ELLIPSIS} "')
_PG_SUMMARY_TEXT = ("(SELECT string_agg(t #>> '{}', ' ') FROM jsonb_path_query("
                    "ss.summary::jsonb, '$.sections[*].sentences[*].text') AS t)")


def _pg_search(conn: Connection, groups: list[list[Atom]], limit: int
               ) -> tuple[list[Any], list[Any]]:
    built = tsquery_sql(groups)
    if built is None:
        return [], []
    query_sql, params = built
    bind = {**params, "limit": limit, "opts": _HEADLINE_OPTIONS}
    # Rank and limit first; snippets are made for the hits shown only.
    stories_sql = text(f"""
        WITH q AS (SELECT {query_sql} AS query),
        hits AS (
            SELECT ss.story_id, ts_rank(ss.search_tsv, q.query, 1) AS rank
            FROM story_summaries AS ss JOIN stories AS s ON s.id = ss.story_id, q
            WHERE ss.search_tsv @@ q.query AND s.status = 'active'
            ORDER BY rank DESC, s.last_time DESC NULLS LAST, s.id DESC
            LIMIT :limit)
        SELECT s.id AS story_id, ss.headline AS headline,
               ts_headline('english', coalesce({_PG_SUMMARY_TEXT}, ''), q.query, :opts)
                   AS snippet,
               s.article_count AS article_count, s.last_time AS last_time,
               hits.rank AS rank
        FROM hits JOIN story_summaries AS ss ON ss.story_id = hits.story_id
        JOIN stories AS s ON s.id = hits.story_id, q
        ORDER BY hits.rank DESC, s.last_time DESC NULLS LAST, s.id DESC
    """).columns(story_id=Integer, headline=Text, snippet=Text, article_count=Integer,
                 last_time=UTCDateTime, rank=Float)
    articles_sql = text(f"""
        WITH q AS (SELECT {query_sql} AS query),
        hits AS (
            SELECT a.id, ts_rank(a.search_tsv, q.query, 1) AS rank
            FROM articles AS a, q
            WHERE a.search_tsv @@ q.query AND NOT a.is_flagged
            ORDER BY rank DESC, a.published DESC NULLS LAST, a.id DESC
            LIMIT :limit)
        SELECT a.id AS article_id, a.title AS title, a.outlet AS outlet, a.url AS url,
               a.published AS published, m.story_id AS story_id,
               ts_headline('english', left(a.text, 100000), q.query, :opts) AS snippet,
               hits.rank AS rank
        FROM hits JOIN articles AS a ON a.id = hits.id
        LEFT JOIN story_members AS m ON m.article_id = a.id, q
        ORDER BY hits.rank DESC, a.published DESC NULLS LAST, a.id DESC
    """).columns(article_id=Integer, title=Text, outlet=Text, url=Text, published=UTCDateTime,
                 story_id=Integer, snippet=Text, rank=Float)
    return (list(conn.execute(stories_sql, bind)), list(conn.execute(articles_sql, bind)))


# ---- entry point ------------------------------------------------------------------------

def search(conn: Connection, q: str, *, limit: int = 20) -> SearchResults:
    """Active stories (by headline and summary) and articles (by title, text and outlet)
    matching ``q``, best first, at most ``limit`` of each. Never raises on odd input:
    a query with nothing searchable in it returns no hits."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    groups = parse_query(q)
    if not groups:
        return SearchResults(query=q, stories=[], articles=[])
    dialect = conn.dialect.name
    if dialect == "sqlite":
        story_rows, article_rows = _sqlite_search(conn, groups, limit)
    elif dialect == "postgresql":
        story_rows, article_rows = _pg_search(conn, groups, limit)
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"search is not implemented for {dialect}")
    story_hits = []
    for r in story_rows:
        snippet, marks = _clean_snippet(r.snippet)
        story_hits.append(StoryHit(story_id=r.story_id, headline=r.headline,
                                   snippet=snippet, article_count=r.article_count,
                                   last_time=r.last_time, rank=float(r.rank), marks=marks))
    article_hits = []
    for r in article_rows:
        snippet, marks = _clean_snippet(r.snippet)
        article_hits.append(ArticleHit(article_id=r.article_id, title=r.title,
                                       outlet=r.outlet, url=r.url, published=r.published,
                                       story_id=r.story_id, snippet=snippet,
                                       rank=float(r.rank), marks=marks))
    return SearchResults(query=q, stories=story_hits, articles=article_hits)
