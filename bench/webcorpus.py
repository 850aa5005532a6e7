"""A big story database for the web benchmark: ≥ 10,000 active stories, each with member
articles from several outlets (feeds), sub-stories for the big ones, a storyline for about a
third, and a written summary in ``story_summaries``. Rows are inserted directly with
SQLAlchemy Core into the real schema (created by ``open_database``, so the current migration
head); nothing is embedded or clustered.

    .venv/bin/python bench/webcorpus.py [--stories 10000] [--force]   # prints the file's path

Text is real: titles, full article texts and summary sentences are drawn from the bundled
sample corpus and ../shared/data/eval (NewSHead, BASIL, ECB+), so titles, summaries and page
sizes are realistic; which sentence lands in which story is random (seeded). Summaries are
``StorySummary.to_dict()`` JSON with 4–6 sections of 2–4 cited sentences, 3–12 sources, a
timeline of 3–8 entries, every member as a related article, sub-stories, external links and
sometimes a "sources differ" note.

Member counts are log-normal (median 5, mean ≈ 6.5, a tail to 60); story times spread over
the 30 days before the build, newest ids last. The file is cached under
~/.cache/storyline-bench/ (or $STORYLINE_BENCH_CACHE), keyed by CORPUS_VERSION, the size and
the schema head revision, and rebuilt when older than MAX_AGE_DAYS so "recent" stays recent.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tests.helpers import EVAL  # noqa: E402

CORPUS_VERSION = "2"  # 2: stored story pages (migration 0005)
MAX_AGE_DAYS = 3
SPAN_DAYS = 30
SAMPLE = REPO / "storyline" / "data" / "sample" / "ecbplus-dev.jsonl.gz"

OUTLETS = [
    ("Reuters", "reuters.com"), ("Associated Press", "apnews.com"), ("BBC News", "bbc.co.uk"),
    ("The Guardian", "theguardian.com"), ("Al Jazeera", "aljazeera.com"),
    ("NPR", "npr.org"), ("Deutsche Welle", "dw.com"), ("France 24", "france24.com"),
    ("The Independent", "independent.co.uk"), ("CBC News", "cbc.ca"), ("ABC News", "abc.net.au"),
    ("The Hindu", "thehindu.com"), ("Euronews", "euronews.com"), ("Politico", "politico.com"),
    ("The Irish Times", "irishtimes.com"), ("Sky News", "news.sky.com"),
    ("The Straits Times", "straitstimes.com"), ("Le Monde", "lemonde.fr"),
    ("Kyiv Independent", "kyivindependent.com"), ("Times of Israel", "timesofisrael.com"),
    ("RNZ", "rnz.co.nz"), ("SBS News", "sbs.com.au"), ("Axios", "axios.com"),
    ("The Hill", "thehill.com"), ("CNBC", "cnbc.com"), ("Bloomberg", "bloomberg.com"),
    ("Financial Times", "ft.com"), ("The Atlantic", "theatlantic.com"),
    ("Nikkei Asia", "asia.nikkei.com"), ("South China Morning Post", "scmp.com"),
    ("The Japan Times", "japantimes.co.jp"), ("Mail & Guardian", "mg.co.za"),
    ("El País", "english.elpais.com"), ("Haaretz", "haaretz.com"), ("Dawn", "dawn.com"),
    ("Globe and Mail", "theglobeandmail.com"), ("Los Angeles Times", "latimes.com"),
    ("Chicago Tribune", "chicagotribune.com"), ("The Verge", "theverge.com"),
    ("Ars Technica", "arstechnica.com"),
]
EXTERNAL = [("Official statement", "gov.uk"), ("Court filing", "supremecourt.gov"),
            ("Report", "who.int"), ("Dataset", "data.europa.eu"), ("Press release", "un.org")]
_LEAF = (str, int, float, type(None), date)
_SENT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+(?=[A-Z\"“‘])")


@dataclass
class Corpus:
    path: Path
    url: str
    stories: int
    articles: int
    built: bool
    seconds: float
    created: datetime


def cache_dir() -> Path:
    root = os.environ.get("STORYLINE_BENCH_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "storyline-bench"


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_text_pool() -> tuple[list[list[str]], list[str], list[str]]:
    """(title groups of one real story each, full article texts, sentences)."""
    rows = _rows(SAMPLE) + _rows(EVAL / "ecbplus-dev.jsonl") + _rows(EVAL / "basil-dev.jsonl")
    rows += _rows(EVAL / "neus-dev.jsonl")
    groups: dict[str, list[str]] = {}
    for r in rows:
        title = " ".join(str(r.get("title") or "").split())
        if 15 <= len(title) <= 200:
            groups.setdefault(str(r.get("story")), []).append(title)
    texts = [r["text"] for r in rows if len(r.get("text") or "") >= 1200]
    sentences: list[str] = []
    for r in rows:
        for line in str(r.get("text") or "").splitlines():
            for s in _SENT.split(line.strip()):
                if 60 <= len(s) <= 320 and s[-1] in ".!?\"”":
                    sentences.append(s)
    for r in _rows(EVAL / "neus-dev-summaries.jsonl"):
        sentences += [s for s in _SENT.split(r.get("reference_summary") or "")
                      if 60 <= len(s) <= 320]
    return list(groups.values()), texts, sorted(set(sentences))


def _summary_schema() -> Any:
    """``storyline.write.schema`` alone: importing the package would load the writer's
    models (seconds)."""
    path = REPO / "storyline" / "write" / "schema.py"
    spec = importlib.util.spec_from_file_location("_webcorpus_write_schema", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _plain(obj: Any) -> Any:
    """``dataclasses.asdict`` without its deep copies (several times faster here)."""
    if isinstance(obj, _LEAF):
        return obj
    if isinstance(obj, list):
        return [_plain(x) for x in obj]
    return {name: _plain(getattr(obj, name)) for name in obj.__dataclass_fields__}


def _members_hash(members: list[int]) -> str:
    """As ``storyline.cluster.service._members_hash`` (not imported: it loads the models'
    modules), so that summaries are current, not stale."""
    joined = ",".join(str(m) for m in sorted(members, key=str))
    return hashlib.sha256(joined.encode()).hexdigest()


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


def _phrase(rng: random.Random, titles: list[str]) -> str:
    words = rng.choice(titles).split()
    start = rng.randrange(max(1, len(words) - 4))
    return " ".join(words[start:start + rng.randint(3, 5)]).strip(",.:;'\"").capitalize()


def corpus_path(n_stories: int) -> Path:
    from storyline.storage import head_revision

    return cache_dir() / f"webcorpus-v{CORPUS_VERSION}-{n_stories}-{head_revision()}.db"


def ensure_corpus(n_stories: int = 10_000, *, force: bool = False, seed: int = 0) -> Corpus:
    """The cached corpus of ``n_stories`` active stories, built when missing or stale."""
    from sqlalchemy import create_engine, func, select

    path = corpus_path(n_stories)
    fresh = path.exists() and time.time() - path.stat().st_mtime < MAX_AGE_DAYS * 86400
    built, t0 = False, time.perf_counter()
    if force or not fresh:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.db")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        build(tmp, n_stories, seed=seed)
        tmp.replace(path)
        os.utime(path)
        built = True
    else:
        # Stored story pages from another version of the web code are rendered again (as
        # `storyline serve` does in the background); the file keeps its age.
        from storyline.write.page import render_missing

        stat = path.stat()
        engine = create_engine(f"sqlite:///{path}")
        if render_missing(engine, batch=1000):
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        engine.dispose()
    seconds = time.perf_counter() - t0
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        from storyline.storage.schema import articles, stories

        n = conn.execute(select(func.count()).select_from(stories)
                         .where(stories.c.status == "active")).scalar_one()
        a = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    engine.dispose()
    created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return Corpus(path, f"sqlite:///{path}", n, a, built, seconds, created)


def build(path: Path, n_stories: int, *, seed: int = 0) -> None:
    from sqlalchemy import create_engine, insert

    from storyline.settings import load_settings
    from storyline.storage import open_database
    from storyline.storage.schema import (
        articles,
        sources,
        stories,
        story_members,
        story_summaries,
        storylines,
        substories,
    )
    from storyline.text.jsonio import json_default
    from storyline.write.page import render_missing
    ws = _summary_schema()
    Conflict, ConflictClaim, ExternalLink, Image = (
        ws.Conflict, ws.ConflictClaim, ws.ExternalLink, ws.Image)
    RelatedArticle, Section, Sentence, SourceRef = (
        ws.RelatedArticle, ws.Section, ws.Sentence, ws.SourceRef)
    StorySummary, SubstoryRef, TimelineEntry = ws.StorySummary, ws.SubstoryRef, ws.TimelineEntry

    rng = random.Random(seed)
    groups, texts, sentences = load_text_pool()
    if not groups or not texts or not sentences:
        raise SystemExit("webcorpus: no text found (bundled sample corpus missing?)")
    settings = load_settings(env={"STORYLINE_CONFIG": "", "STORYLINE_DATA_DIR": str(path.parent)})
    engine = open_database(settings, f"sqlite:///{path}")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    source_rows = [dict(id=i + 1, url=f"https://{dom}/rss.xml", title=name, site_name=name,
                        site_url=f"https://{dom}/", status="active", error_count=0,
                        last_checked=now, last_success=now, next_check=now + timedelta(hours=1),
                        ttl_seconds=3600, created_at=now - timedelta(days=SPAN_DAYS + 5))
                   for i, (name, dom) in enumerate(OUTLETS)]

    # storylines: about a third of the stories, in runs of 2-8 stories close in time
    line_of: dict[int, int] = {}
    line_rows: list[dict[str, Any]] = []
    sid = 1
    while sid <= n_stories:
        if rng.random() < 0.09:
            k = rng.randint(2, 8)
            members = sorted({min(n_stories, sid + rng.randint(0, 60)) for _ in range(k)} | {sid})
            members = [m for m in members if m not in line_of]
            if len(members) >= 2:
                lid = len(line_rows) + 1
                for m in members:
                    line_of[m] = lid
                line_rows.append(dict(id=lid, story_count=len(members), members=members))
        sid += 1

    art_rows: list[dict[str, Any]] = []
    story_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    sub_rows: list[dict[str, Any]] = []
    summary_rows: list[dict[str, Any]] = []
    headline_of: dict[int, str] = {}
    times: dict[int, tuple[datetime, datetime]] = {}
    aid = 0
    for sid in range(1, n_stories + 1):
        size = max(3, min(60, round(rng.lognormvariate(1.6, 0.7))))
        first = now - timedelta(days=SPAN_DAYS * (1 - sid / n_stories),
                                hours=rng.uniform(1, 30))
        last = min(now, first + timedelta(hours=rng.uniform(1, 72)))
        times[sid] = (first, last)
        titles = rng.choice(groups)
        members: list[dict[str, Any]] = []
        for k in range(size):
            aid += 1
            src = rng.randrange(len(OUTLETS))
            name, dom = OUTLETS[src]
            pub = first + (last - first) * (k / max(1, size - 1))
            dup = members[0]["id"] if k and rng.random() < 0.08 else None
            title = members[0]["title"] if dup else (
                titles[k] if k < len(titles) else rng.choice(rng.choice(groups)))
            row = dict(
                id=aid, identity=hashlib.sha1(f"webcorpus-{aid}".encode()).hexdigest(),
                url=f"https://{dom}/{pub:%Y/%m}/{_slug(title)}-{aid}", guid=None,
                source_id=src + 1, outlet=name, title=title, byline=None, published=pub,
                fetched_at=pub + timedelta(minutes=5), language="en",
                image_url=(f"https://{dom}/img/{aid}.jpg" if rng.random() < 0.5 else None),
                image_caption=rng.choice(sentences) if rng.random() < 0.3 else None,
                image_credit=name, text=members[0]["text"] if dup else rng.choice(texts),
                content_hash=hashlib.sha256(f"c{aid}".encode()).hexdigest(),
                extraction_method="bench", inferred_fields="[]", links="[]",
                duplicate_of=dup, duplicate_kind="near" if dup else None,
                similarity=0.93 if dup else None, is_flagged=False)
            members.append(row)
            art_rows.append(row)
        subs: list[tuple[int, str]] = []
        if size >= 10:
            for _ in range(rng.randint(2, 3)):
                sub_id = len(sub_rows) + 1
                subs.append((sub_id, _phrase(rng, titles)))
                sub_rows.append(dict(id=sub_id, story_id=sid, label=subs[-1][1],
                                     article_count=0))
        for k, m in enumerate(members):
            sub = subs[k % len(subs)][0] if subs and k % 3 else None
            if sub is not None:
                sub_rows[sub - 1]["article_count"] += 1
            member_rows.append(dict(article_id=m["id"], story_id=sid,
                                    score=round(rng.uniform(0.6, 1.0), 3),
                                    assigned_at=m["fetched_at"], substory_id=sub))
        ids = [m["id"] for m in members]
        mhash = _members_hash(ids)
        outlets = sorted({m["outlet"] for m in members})
        headline = members[0]["title"]
        headline_of[sid] = headline
        story_rows.append(dict(
            id=sid, created_at=first, updated_at=last, first_time=first, last_time=last,
            article_count=size, outlet_count=len(outlets), title=headline, status="active",
            merged_into=None, storyline_id=line_of.get(sid), members_hash=mhash))

        originals = [m for m in members if m["duplicate_of"] is None]
        cited = rng.sample(originals, min(len(originals), rng.randint(3, 12)))
        cited.sort(key=lambda m: m["published"])
        refs = [SourceRef(index=i + 1, article_id=m["id"], outlet=m["outlet"], title=m["title"],
                          url=m["url"], published=m["published"]) for i, m in enumerate(cited)]
        index_of = {m["id"]: i + 1 for i, m in enumerate(cited)}

        def cites(n: int = len(refs)) -> list[int]:
            return sorted(rng.sample(range(1, n + 1), min(n, rng.randint(1, 2))))

        sections = [Section(title=_phrase(rng, titles),
                            sentences=[Sentence(rng.choice(sentences), cites())
                                       for _ in range(rng.randint(2, 4))])
                    for _ in range(rng.randint(4, 6))]
        timeline = sorted(
            (TimelineEntry(date=(first - timedelta(days=rng.uniform(0, 20))).date(),
                           precision=rng.choice(["day", "day", "day", "month"]),
                           text=rng.choice(sentences), citations=cites())
             for _ in range(rng.randint(3, 8))), key=lambda e: e.date)
        with_image = [m for m in cited if m["image_url"]]
        image = None
        if with_image:
            m = with_image[0]
            image = Image(url=m["image_url"], caption=m["image_caption"] or m["title"],
                          credit=m["outlet"], citation=index_of[m["id"]])
        checked = sum(len(s.sentences) for s in sections)
        summary = StorySummary(
            headline=headline, updated_at=last, article_count=size, outlets=outlets,
            sections=sections, sources=refs, timeline=timeline, image=image,
            checked_sentences=checked, supported_sentences=checked - rng.randint(0, 1),
            story_id=sid, storyline_id=line_of.get(sid),
            substories=[SubstoryRef(id=s_id, label=label,
                                    article_count=sub_rows[s_id - 1]["article_count"],
                                    citations=sorted(rng.sample(range(1, len(refs) + 1),
                                                                min(2, len(refs)))))
                        for s_id, label in subs],
            related=[RelatedArticle(article_id=m["id"], outlet=m["outlet"], title=m["title"],
                                    url=m["url"], published=m["published"],
                                    source=index_of.get(m["id"]), duplicate_of=m["duplicate_of"])
                     for m in members],
            external_links=[ExternalLink(url=f"https://{dom}/doc/{sid}-{j}",
                                         title=f"{kind}: {_phrase(rng, titles)}", domain=dom,
                                         citations=cites())
                            for j, (kind, dom) in enumerate(rng.sample(EXTERNAL,
                                                                       rng.randint(0, 3)))],
            conflicts=([Conflict(subject="the number of people affected",
                                 claims=[ConflictClaim(value=v, text=rng.choice(sentences),
                                                       citations=cites())
                                         for v in ("at least 12", "nearly 20")])]
                       if rng.random() < 0.15 else []),
        )
        doc = _plain(summary)
        doc["support_rate"] = round(summary.support_rate, 4)
        if sid <= 20:  # the fast conversion is the schema's own to_dict()
            assert doc == summary.to_dict(), "webcorpus: _plain() disagrees with to_dict()"
        summary_rows.append(dict(
            story_id=sid, members_hash=mhash, writer="extractive", headline=headline,
            support_rate=summary.support_rate,
            summary=json.dumps(doc, default=json_default, ensure_ascii=False),
            written_at=last + timedelta(minutes=10)))

    for line in line_rows:
        ts = [times[m] for m in line["members"]]
        line.update(created_at=ts[0][0], updated_at=max(t[1] for t in ts),
                    first_time=min(t[0] for t in ts), last_time=max(t[1] for t in ts),
                    title=headline_of[line["members"][-1]], centroid=None,
                    entities=json.dumps({}))
        del line["members"]

    engine.dispose()
    # bulk load without a journal (a throwaway file until it is renamed), then back to WAL
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=OFF")
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.commit()
        for table, rows in ((sources, source_rows), (storylines, line_rows),
                            (articles, art_rows), (stories, story_rows),
                            (substories, sub_rows), (story_members, member_rows),
                            (story_summaries, summary_rows)):
            for k in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[k:k + 5000])
        conn.commit()
        # The stored story pages, as `storyline serve` renders them for summaries written
        # without (storyline/write/page.py; the writer stores them as it writes).
        render_missing(engine, batch=1000)
        conn.exec_driver_sql("ANALYZE")  # planner statistics, as a long-lived database has
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.commit()
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--stories", type=int, default=10_000, help="active stories (default 10000)")
    ap.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = ap.parse_args()
    c = ensure_corpus(args.stories, force=args.force)
    size = c.path.stat().st_size / 2**20
    how = f"built in {c.seconds:.1f} s" if c.built else f"cached, built {c.created:%Y-%m-%d %H:%M}Z"
    print(f"{c.path}  ({c.stories} active stories, {c.articles} articles, {size:.0f} MiB, {how})")


if __name__ == "__main__":
    main()
