"""Turn the bytes of a feed document into text, whatever charset it claims.

Feeds in the wild declare the wrong charset (or none) often enough that the
declared one cannot be trusted blindly. Rules, in order:

1. A byte-order mark wins.
2. Bytes that are valid UTF-8 are UTF-8 (random cp1252/latin-1 text with non-ASCII
   characters is practically never valid UTF-8).
3. Otherwise the declared charset (HTTP header first, then the XML/HTML
   declaration), with ISO-8859-1/ASCII read as windows-1252 as browsers do, if the
   bytes decode with it.
4. Otherwise windows-1252, then charset-normalizer's guess, then latin-1.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["DecodedText", "decode_document", "declared_charset"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.I)
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.I)
# Declarations that browsers (WHATWG Encoding) read as windows-1252.
_AS_CP1252 = {"iso-8859-1", "latin-1", "ascii", "us-ascii", "cp1252", "windows-1252"}


@dataclass(slots=True)
class DecodedText:
    text: str
    encoding: str  # the codec actually used (Python name)
    declared: str | None  # what the document or header claimed
    warning: str | None = None  # set when the claim was wrong or missing and mattered


def _codec_name(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset named by the Content-Type header, else by the document itself."""
    if content_type:
        match = _HEADER_CHARSET_RE.search(content_type)
        if match:
            return match.group(1).lower()
    head = body[:2048]
    found = _XML_DECL_RE.match(head) or _META_CHARSET_RE.search(head)
    return found.group(1).decode("ascii").lower() if found else None


def decode_document(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode `body` following the rules in the module docstring."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body[len(bom) :].decode(codec, errors="replace")
            return DecodedText(text, codec, declared_charset(b"", content_type))

    declared = declared_charset(body, content_type)
    declared_codec = _codec_name(declared) if declared else None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        warning = None
        if declared_codec not in (None, "utf-8", "ascii") and not body.isascii():
            warning = f"declared charset {declared} does not match the bytes; read as UTF-8"
        return DecodedText(text, "utf-8", declared, warning)

    if declared_codec and declared_codec != "utf-8":
        codec = "cp1252" if declared in _AS_CP1252 or declared_codec == "cp1252" else declared_codec
        try:
            return DecodedText(body.decode(codec), codec, declared)
        except UnicodeDecodeError:
            pass
        except LookupError:  # pragma: no cover - codec vanished between lookups
            pass

    claim = f"declared charset {declared}" if declared else "no charset declared"
    try:
        text = body.decode("cp1252")
        codec = "cp1252"
    except UnicodeDecodeError:
        codec = _guess(body) or "latin-1"
        text = body.decode(codec, errors="replace")
    return DecodedText(
        text, codec, declared, f"{claim} and the bytes are not UTF-8; read as {codec}"
    )


def _guess(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - it is a declared dependency
        return None
    best = from_bytes(body[:200_000]).best()
    return _codec_name(best.encoding) if best is not None else None
