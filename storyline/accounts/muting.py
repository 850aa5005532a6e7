"""Muting: an outlet (its articles are not shown or cited to the user; a story that only
muted outlets carry is hidden) and words (a story whose headline or named entities
contain one is hidden). Values are kept lower-case; matching ignores case."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from storyline.storage import mutes as mute_store

KINDS = mute_store.KINDS
MAX_VALUE = 200


class MuteError(ValueError):
    pass


@dataclass(slots=True, frozen=True)
class Mutes:
    outlets: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.outlets or self.words)

    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.outlets, self.words


NONE = Mutes()


def normalize(kind: str, value: str) -> str:
    if kind not in KINDS:
        raise MuteError(f"unknown kind of mute {kind!r} (outlet or word)")
    text = " ".join(value.split()).lower()
    if not text:
        raise MuteError(f"give the {kind} to mute")
    if len(text) > MAX_VALUE:
        raise MuteError(f"a muted {kind} has at most {MAX_VALUE} characters")
    return text


def load(conn: Connection, user_id: int) -> Mutes:
    found = mute_store.of_user(conn, user_id)
    return Mutes(tuple(found.get("outlet", ())), tuple(found.get("word", ())))


def add(engine: Engine, user_id: int, kind: str, value: str) -> bool:
    text = normalize(kind, value)
    with engine.begin() as conn:
        return mute_store.add(conn, user_id, kind, text, datetime.now(UTC))


def remove(engine: Engine, user_id: int, kind: str, value: str) -> bool:
    text = normalize(kind, value)
    with engine.begin() as conn:
        return mute_store.remove(conn, user_id, kind, text)


def _word_in(word: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text.lower()) is not None


def hidden_reason(mutes: Mutes, *, headline: str, outlets: list[str],
                  entities: list[str] = ()) -> str | None:  # type: ignore[assignment]
    """Why a story is hidden from the user, or None when it is shown."""
    if mutes.outlets and outlets and all(o.lower() in mutes.outlets for o in outlets):
        return "only muted outlets carry it (" + ", ".join(sorted(outlets)) + ")"
    for word in mutes.words:
        if _word_in(word, headline):
            return f"the headline contains the muted word “{word}”"
        for entity in entities:
            if _word_in(word, entity):
                return f"it is about {entity}, which matches the muted word “{word}”"
    return None


def filter_page(page: dict[str, Any], mutes: Mutes) -> tuple[dict[str, Any], int]:
    """The story page (``write.page.story_page``) without the muted outlets' sources and
    citations: a sentence cited only to them goes, and so do their related articles.
    Returns the new page and how many sources were removed."""
    if not mutes.outlets:
        return page, 0
    muted = set(mutes.outlets)
    removed = {int(s["index"]) for s in page.get("sources") or []
               if "index" in s and (s.get("outlet") or "").lower() in muted}
    related_out = [a for a in page.get("related") or []
                   if (a.get("outlet") or "").lower() in muted]
    if not removed and not related_out:
        return page, 0
    out = copy.deepcopy(page)

    def keep(cites: list[Any] | None) -> tuple[list[Any], bool]:
        cites = list(cites or [])
        left = [c for c in cites if int(c) not in removed]
        return left, bool(cites) and not left

    out["sources"] = [s for s in out.get("sources") or [] if int(s.get("index", 0)) not in removed]
    sections = []
    for section in out.get("sections") or []:
        sentences = []
        for s in section.get("sentences") or []:
            s["citations"], gone = keep(s.get("citations"))
            if not gone:
                sentences.append(s)
        if sentences:
            sections.append({**section, "sentences": sentences})
    out["sections"] = sections
    timeline = []
    for entry in out.get("timeline") or []:
        entry["citations"], gone = keep(entry.get("citations"))
        if not gone:
            timeline.append(entry)
    out["timeline"] = timeline
    conflicts = []
    for conflict in out.get("conflicts") or []:
        claims = []
        for claim in conflict.get("claims") or []:
            claim["citations"], gone = keep(claim.get("citations"))
            if not gone:
                claims.append(claim)
        if len(claims) > 1:
            conflicts.append({**conflict, "claims": claims})
    out["conflicts"] = conflicts
    for sub in out.get("substories") or []:
        sub["citations"], _ = keep(sub.get("citations"))
    image = out.get("image")
    if image and image.get("citation") and int(image["citation"]) in removed:
        out["image"] = None
    out["related"] = [a for a in out.get("related") or []
                      if (a.get("outlet") or "").lower() not in muted]
    out["outlets"] = [o for o in out.get("outlets") or [] if o.lower() not in muted]
    return out, len(removed)
