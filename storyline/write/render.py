"""Markdown rendering of a written story (the JSON form is ``StorySummary.to_dict``)."""

from __future__ import annotations

from typing import Any

from storyline.text.wording import plural


def _date(entry: dict[str, Any]) -> str:
    value = str(entry["date"])
    return {"year": value[:4], "month": value[:7]}.get(entry["precision"], value[:10])


def _when(article: dict[str, Any]) -> str:
    """" (2026-02-17)", or nothing for an undated article."""
    day = str(article.get("published") or "")[:10]
    return f" ({day})" if day else ""


def _outlet(article: dict[str, Any]) -> str:
    """"Reuters: ", or nothing for an article of an unnamed outlet (an imported file
    without one): sixteen "Unknown outlet" lines say nothing a reader can use."""
    outlet = article.get("outlet")
    return f"{outlet}: " if outlet else ""


def to_markdown(summary: dict[str, Any]) -> str:
    lines = [f"# {summary['headline']}", ""]
    updated = str(summary.get("updated_at") or "")[:16].replace("T", " ")
    counts = f"{plural(summary['article_count'], 'article')}, " \
        f"{plural(len(summary['outlets']), 'outlet')}"
    lines.append(f"Updated {updated} ({counts})" if updated else f"Updated ({counts})")
    image = summary.get("image")
    if image:
        credit = f" ({image['credit']})" if image.get("credit") else ""
        lines += ["", f"![{image.get('caption') or ''}]({image['url']}){credit} "
                      f"[{image['citation']}]"]
    for section in summary["sections"]:
        lines += ["", f"## {section['title']}", ""]
        lines.append(" ".join(
            f"{s['text']} " + "".join(f"[{c}]" for c in s["citations"])
            for s in section["sentences"]))
    for conflict in summary.get("conflicts") or []:
        claims = " vs ".join(f"{c['value']} " + "".join(f"[{n}]" for n in c["citations"])
                             for c in conflict["claims"])
        lines += ["", f"> Sources differ on the {conflict['subject']}: {claims}"]
    lines += ["", "## Sources", ""]
    for src in summary["sources"]:
        link = f" <{src['url']}>" if src.get("url") else ""
        lines.append(f"{src['index']}. {_outlet(src)}{src['title']}{_when(src)}{link}")
    if summary["timeline"]:
        lines += ["", "## Timeline", ""]
        for entry in summary["timeline"]:
            cites = "".join(f"[{c}]" for c in entry["citations"])
            story = f" (story {entry['story_id']})" if entry.get("story_id") else ""
            lines.append(f"- {_date(entry)}: {entry['text']} {cites}{story}".rstrip())
    if summary.get("substories"):
        lines += ["", "## Dive deeper", ""]
        for sub in summary["substories"]:
            cites = "".join(f"[{c}]" for c in sub["citations"])
            lines.append(f"- {sub['label']} ({sub['article_count']} articles) {cites}".rstrip())
    if summary.get("related"):
        lines += ["", "## All related articles", ""]
        for art in summary["related"]:
            link = f" <{art['url']}>" if art.get("url") else ""
            copy = " (copy)" if art.get("duplicate_of") is not None else ""
            lines.append(f"- {_outlet(art)}{art['title']}{_when(art)}{copy}{link}")
    if summary.get("external_links"):
        lines += ["", "## External resources", ""]
        for ext in summary["external_links"]:
            cites = "".join(f"[{c}]" for c in ext["citations"])
            lines.append(f"- [{ext['title']}]({ext['url']}) — {ext['domain']} {cites}")
    lines += ["", f"Support rate: {100 * summary['support_rate']:.0f}% of "
                  f"{summary['checked_sentences']} checked sentences"]
    return "\n".join(lines) + "\n"
