"""Drop residual boilerplate from extracted or pasted article text, line by line.

Rules are generic (no seed strings): prompts and labels by pattern, navigation runs and
stray headlines by word overlap with the rest of the document.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from storyline.text.lexicon import (
    AGENCY_CREDITS,
    FUNCTION_WORDS,
    HONORIFICS,
    MORE_FUNCTION_WORDS,
    NEWS_FILLER,
    REPORTING_VERBS,
    wordset,
)

__all__ = [
    "CleanResult",
    "boilerplate_reason",
    "clean_text",
    "content_stems",
    "is_headline_like",
    "is_prompt",
    "is_paragraph",
    "normalise_line",
    "relatedness",
]


@dataclass(slots=True)
class CleanResult:
    """Cleaned text (paragraphs separated by ``\\n``) and the lines that were dropped."""

    text: str
    removed: list[str] = field(default_factory=list)


_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_BULLET = re.compile(r"^(?:[-–—•*·▪►]\s+|\d{1,2}[.)]\s+)")


# Words that say nothing about whether two lines are related.
STOPWORDS = (FUNCTION_WORDS | MORE_FUNCTION_WORDS | REPORTING_VERBS | NEWS_FILLER | HONORIFICS
             | wordset("tell gets"))

_PROMPT = re.compile(
    r"^(?:read more|read also|also read|read next|see also|more on this|more from|more:|"
    r"you may also like|you might also like|most read|most popular|trending now|top stories|"
    r"recommended(?: for you| stories| articles| videos)?|related|explore(?: more)?|"
    r"share(?: this)?(?: article| story| on \w+)?|subscribe|sign up|sign in|log in|"
    r"follow us|join us on|newsletters?|get our newsletter|advertisement|story continues below|"
    r"continue reading|click here|tap here|listen to this article|download (?:the|our) app|"
    r"skip to (?:main )?content|back to top|cookies?|we use cookies|accept cookies|"
    r"don'?t miss|editor'?s picks?|watch:|loading|print this|email this)(?![a-z])",
    re.IGNORECASE,
)
_RELATED_GLUED = re.compile(r"^Related(?=[A-Z])")
_STRONG_PROMPT = re.compile(
    r"newsletter|subscribe|sign up|inbox|cookies|follow us on|download (?:the|our) app|"
    r"media playback is (?:un|not )supported",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^[(\[]?\s*(?:sources?|credits?|photos?|photographs?|images?|pictures?|video|via|"
    r"with (?:additional )?inputs? from|file photo)\s*(?::|by\b|[-–—]\s)\s*\S.*$",
    re.IGNORECASE,
)
_AGENCY_ONLY = re.compile(
    r"^[(\[—–-]?\s*(?:"
    + "|".join(sorted(map(re.escape, [*AGENCY_CREDITS, "getty images", "agencies"]),
                      key=len, reverse=True))
    + r")\s*[)\]]?$",
    re.IGNORECASE,
)
_READING_TIME = re.compile(
    r"^(?:reading time:?\s*)?(?:about\s+)?\d+\s*(?:-\s*\d+\s*)?(?:min|mins|minutes?)\.?\s*(?:read|listen|watch)?$",
    re.IGNORECASE,
)
_RELATIVE_TIME = re.compile(
    r"^(?:(?:last\s+)?(?:updated|published|posted|edited)\s*:?\s*)?"
    r"(?:(?:\d+|an?|one|few)\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|"
    r"w|wks?|weeks?|mos?|months?|y|yrs?|years?)\s+ago|just now|moments? ago|yesterday|today)\.?$",
    re.IGNORECASE,
)
_SECTION_WORDS = wordset(
    """world news politics business sport sports opinion analysis technology tech science
    health culture entertainment lifestyle economy markets europe asia africa americas
    middle east us uk local national international travel environment climate education
    breaking live video videos features feature editorial commentary interview"""
)


def normalise_line(line: str) -> str:
    """Collapse unicode spaces, drop zero-width characters, strip."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", line)).strip()


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def _stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w[:6]


def content_stems(text: str) -> list[str]:
    """Lowercase content-word stems (stopwords and pure numbers dropped)."""
    out = []
    for word in _words(text):
        low = word.lower()
        if low in STOPWORDS or len(low) < 2 or low.isdigit():
            continue
        out.append(_stem(word))
    return out


def is_paragraph(line: str) -> bool:
    """A real paragraph: at least 12 words ending in sentence punctuation."""
    return len(_words(line)) >= 12 and bool(_SENTENCE_END.search(line))


def is_prompt(line: str) -> bool:
    """A call to action or widget label ("Read more", "Subscribe…", "Related: …")."""
    return bool(_PROMPT.match(line) or _RELATED_GLUED.match(line) or _STRONG_PROMPT.search(line))


def is_headline_like(line: str) -> bool:
    """Short line without sentence-final punctuation (menu item, headline, subheading)."""
    body = _BULLET.sub("", line)
    n = len(_words(body))
    if n == 0 or n > 16:
        return False
    return not _SENTENCE_END.search(body) and not body.rstrip().endswith((":", ";", ","))


def _title_cased(line: str) -> bool:
    words = [w for w in _words(line) if w[0].isalpha()]
    significant = [w for w in words if w.lower() not in STOPWORDS or len(w) > 3]
    if len(significant) < 3:
        return False
    caps = sum(1 for w in significant if w[0].isupper())
    return caps / len(significant) >= 0.8


def relatedness(line: str, vocabulary: Counter[str] | set[str]) -> float:
    """Share of the line's content stems that occur in ``vocabulary`` (1.0 if none)."""
    stems = set(content_stems(line))
    if not stems:
        return 1.0
    return sum(1 for s in stems if s in vocabulary) / len(stems)


def _key(line: str) -> str:
    return " ".join(w.lower() for w in _words(line))


def boilerplate_reason(line: str, index: int = 0, seen_body: bool = False) -> str | None:
    """Why a single line is boilerplate (prompt, stamp, credit, label), or None."""
    words = _words(line)
    n = len(words)
    protected = is_paragraph(line)
    if _RELATIVE_TIME.match(line):
        return "relative time stamp"
    if _READING_TIME.match(line):
        return "reading time"
    prompt = _PROMPT.match(line) or _RELATED_GLUED.match(line)
    if prompt and n <= 25 and (not protected or _STRONG_PROMPT.search(line)):
        return "prompt or related link"
    if protected:
        return None
    if n <= 8 and (_CREDIT.match(line) or _AGENCY_ONLY.match(line)):
        return "credit line"
    letters = [c for c in line if c.isalpha()]
    if 0 < n <= 3 and letters and all(c.isupper() for c in letters) and "," not in line:
        lowered = {w.lower() for w in words}
        if (not seen_body and index < 2) or lowered <= _SECTION_WORDS:
            return "section label"
    return None


def _reference_vocabulary(lines: Iterable[str], title: str | None) -> Counter[str]:
    vocab: Counter[str] = Counter()
    for line in lines:
        if not is_headline_like(line):
            vocab.update(content_stems(line))
    if title:
        vocab.update(content_stems(title))
    return vocab


def clean_text(text: str, title: str | None = None) -> CleanResult:
    """Normalise whitespace and drop boilerplate lines; paragraphs kept verbatim."""
    removed: list[str] = []
    lines: list[str] = []
    after_label: set[int] = set()  # kept lines that directly follow a dropped label/prompt
    title_key = _key(title) if title else ""
    seen_body = False
    prev_key = ""
    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = normalise_line(raw)
        if not line:
            continue
        key = _key(line)
        if (key and key == prev_key) or (title_key and key == title_key):
            removed.append(line)
            prev_key = key
            continue
        if boilerplate_reason(line, len(lines), seen_body):
            removed.append(line)
            after_label.add(len(lines))
            continue
        prev_key = key
        lines.append(line)
        if is_paragraph(line):
            seen_body = True
    drop = _overlap_drops(lines, title, after_label)
    kept = []
    for i, line in enumerate(lines):
        if i in drop:
            removed.append(line)
        else:
            kept.append(line)
    return CleanResult("\n".join(kept), removed)


_PUNCT_TOKEN = re.compile(r"[^\w\s]+")


def _list_shaped(lines: list[str]) -> bool:
    """Lines of one list share a marker, a leading digit, their first word or separator."""
    firsts: Counter[str] = Counter()
    seps: Counter[str] = Counter()
    marked = 0
    for line in lines:
        if _BULLET.match(line) or line[:1].isdigit():
            marked += 1
        words = _words(line)
        if words:
            firsts[_stem(words[0])] += 1
        if sep := _PUNCT_TOKEN.search(line):
            seps[sep.group()] += 1
    half = len(lines) / 2
    most_first = firsts.most_common(1)[0][1] if firsts else 0
    most_sep = max((n for sep, n in seps.items() if sep not in {",", "'", "’", "."}), default=0)
    return marked >= half or most_first >= half or most_sep > half


def _overlap_drops(lines: list[str], title: str | None, after_label: set[int]) -> set[int]:
    """Indices of navigation runs and stray headlines unrelated to the document."""
    vocab = _reference_vocabulary(lines, title)
    if sum(vocab.values()) < 30:
        return set()
    headline = [is_headline_like(line) for line in lines]
    paragraph = [is_paragraph(line) for line in lines]
    drop: set[int] = set()
    i = 0
    while i < len(lines):
        if not headline[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and headline[j]:
            j += 1
        run = lines[i:j]
        if len(run) >= 3:
            unrelated = sum(1 for line in run if relatedness(line, vocab) < 0.5)
            mostly_unrelated = unrelated >= max(2, (len(run) + 1) // 2)
            edge = not any(paragraph[j:]) or not any(paragraph[:i])
            headline_shaped = sum(1 for line in run if len(_words(line)) >= 6) * 4 >= len(run) * 3
            introduced = i > 0 and lines[i - 1].endswith(":")
            if mostly_unrelated and (
                i in after_label
                or (
                    edge
                    and len(run) >= 4
                    and headline_shaped
                    and not introduced
                    and not _list_shaped(run)
                )
            ):
                drop.update(range(i, j))
        i = j
    for k, line in enumerate(lines):
        if k in drop or not headline[k] or not 0 < k < len(lines) - 1:
            continue
        if not (paragraph[k - 1] and paragraph[k + 1]):
            continue
        if len(_words(line)) < 6 or not _title_cased(line):
            continue
        if relatedness(line, vocab) < 0.2:
            drop.add(k)
    return drop
