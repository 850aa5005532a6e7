"""URL helpers: canonical article URLs and address checks.

`canonicalize_url` maps the many spellings of one article URL (tracking parameters,
AMP and mobile variants, `www.`, default ports, fragments, percent-encoding case,
query order, trailing slash) to one string, so an article's identity can be a hash
of it. It is deliberately lossy: the result is an identity key that still works as
a link in the common case, not a byte-exact copy of what the publisher wrote.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urljoin, urlsplit, urlunsplit

__all__ = ["FeedURLError", "TRACKING_PARAMS", "address_kind", "canonicalize_url",
           "check_feed_url", "host_of", "is_public_address", "private_address"]

#: Query parameters that only track the click and never select content.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "cmp",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "_ga",
        "_gl",
        "igshid",
        "igsh",
        "spm",
        "scm",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "mkt_tok",
        "s_cid",
        "sr_share",
        "ito",
        "itm_source",
        "itm_medium",
        "itm_campaign",
        "at_medium",
        "at_campaign",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "wt.mc_id",
        "wt_mc_id",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "xtor",
        "__twitter_impression",
        "vero_id",
        "oly_enc_id",
        "oly_anon_id",
        "rb_clickid",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "piwik_", "mtm_", "hmb_", "ga_")
# Query parameters that only ask for the AMP rendering.
_AMP_PARAMS = {"amp", "outputtype", "amp_js_v", "usqp", "_gsa", "amp_gsa"}
_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters left as they are in a path (sub-delims, ':' '@' '/', and '%' of escapes).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$'()*,;-._~?"


def _normalize_escapes(text: str) -> str:
    """Decode %XX of unreserved characters, uppercase the others, quote what must be."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    text = _PCT_RE.sub(fix, text)
    # A '%' not followed by two hex digits is a literal percent sign.
    text = re.sub(r"%(?![0-9A-F]{2})", "%25", text)
    return quote(text, safe=_PATH_SAFE)


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(seg)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


def _strip_amp_path(path: str) -> str:
    if path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    elif path.endswith(".amp.htm"):
        path = path[: -len(".amp.htm")] + ".htm"
    elif path.endswith(".amp"):
        path = path[: -len(".amp")]
    segments = [seg for seg in path.split("/") if seg.lower() != "amp"]
    path = "/".join(segments)
    return path or "/"


def _canonical_host(host: str) -> str | None:
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if host.startswith("[") or _is_ip_literal(host):
        return host
    if not re.fullmatch(r"[a-z0-9_.-]+", host):
        return None
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            rest = host[len(prefix) :]
            # Keep "m.co" style hosts: only strip when a registrable name remains.
            if host.startswith(prefix) and "." in rest:
                host = rest
                changed = True
    return host


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    kept: list[tuple[str, str]] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        lower = key.lower()
        if lower in TRACKING_PARAMS or lower.startswith(_TRACKING_PREFIXES):
            continue
        if lower in _AMP_PARAMS and (lower != "outputtype" or value.lower() == "amp"):
            continue
        kept.append((key, value))
    kept.sort()
    return "&".join(
        quote(k, safe=_QUERY_SAFE) + ("=" + quote(v, safe=_QUERY_SAFE + "=") if v else "")
        for k, v in kept
    )


def canonicalize_url(url: str, base: str | None = None) -> str | None:
    """Return the canonical form of `url` (resolved against `base`), or None.

    None means the URL is not http(s) or cannot be parsed. Credentials in the URL
    are dropped (they must never become part of an article identity).
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url:
        return None
    try:
        if base:
            url = urljoin(base.strip(), url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or parts.hostname is None:
        return None
    host = _canonical_host(unquote(parts.hostname))
    if host is None:
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _remove_dot_segments(_normalize_escapes(parts.path or "/"))
    path = _strip_amp_path(path)
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = _canonical_query(parts.query)
    return urlunsplit(SplitResult(scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """The lowercased host name of `url` (no port, no brackets), or "" when none."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return ""
    return (host or "").rstrip(".").lower()


_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def address_kind(address: str) -> str | None:
    """Why ``address`` is no public (globally routable unicast) address: "loopback",
    "private", "link-local", "multicast", "broadcast", "unspecified", "reserved" or "not
    globally routable" (shared CGNAT space, documentation ranges); None when public.
    An IPv4-mapped IPv6 address is judged as its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                       ("broadcast", ip == _BROADCAST), ("multicast", ip.is_multicast),
                       ("link-local", ip.is_link_local), ("reserved", ip.is_reserved),
                       ("private", ip.is_private)):
        if flag:
            return kind
    return None if ip.is_global else "not globally routable"


def _address_is_public(address: str) -> bool:
    return address_kind(address) is None


def is_public_address(host_or_url: str) -> bool:
    """True when every address the host resolves to is public (globally routable).

    Accepts a bare host, an IP literal or a URL. Loopback, private, link-local,
    shared (CGNAT), multicast, reserved and unresolvable hosts give False. This
    blocks blocking DNS resolution (`getaddrinfo`); call it from a thread in async code.
    """
    text = host_or_url.strip()
    host = host_of(text) if "://" in text else text.strip("[]").rstrip(".").lower()
    if not host:
        return False
    if _is_ip_literal(host):
        return _address_is_public(host)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(_address_is_public(a) for a in addresses)


class FeedURLError(ValueError):
    """A feed URL that cannot be added: not http(s), or a private address not allowed."""


def private_address(host: str) -> str | None:
    """The first address ``host`` resolves to that is not public (private, loopback,
    multicast, reserved, link-local, broadcast, unspecified...), if any (None when it
    resolves only to public addresses or does not resolve right now)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        addr = str(info[4][0]).split("%")[0]
        if address_kind(addr) is not None:
            return addr
    return None


def check_feed_url(url: str, allow_private: bool) -> str:
    """Validate a feed URL for adding; returns it stripped or raises FeedURLError."""
    url = url.strip()
    host = host_of(url) if url.lower().startswith(("http://", "https://")) else ""
    if not host:
        raise FeedURLError(f"not an http(s) URL: {url!r}")
    if not allow_private:
        addr = private_address(host)
        if addr:
            kind = address_kind(addr)
            if kind in {"private", "loopback", "link-local"}:
                what = "a private or loopback address"
            elif kind and kind.startswith("not "):
                what = f"an address that is {kind}"
            else:
                what = f"{'an' if (kind or 'x')[0] in 'aeiou' else 'a'} {kind} address"
            raise FeedURLError(
                f"{url}: {host} is {what} ({addr}); set "
                "STORYLINE_ALLOW_PRIVATE_FEEDS=true to allow it"
            )
    return url
