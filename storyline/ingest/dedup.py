"""Duplicate detection: exact content hashes and MinHash LSH for near-duplicates.

Wire copy run by several outlets with small edits is the common case: every copy is
kept (so a story can credit each outlet) and ``duplicate_of`` points at the first one.
Signatures are datasketch MinHashes over word 3-shingles; the LSH bands are stored in
the database (``article_bands``) so candidate lookup is an indexed query, whatever the
size of the archive.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable

import numpy as np
from datasketch import LeanMinHash, MinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4 rows a band: candidates from Jaccard ~0.42 upwards
SHINGLE = 3
MIN_MINHASH_WORDS = 25  # shorter texts are too small for a meaningful near-duplicate test
SCHEME = "affine32"  # datasketch's hashing scheme; stored signatures depend on it

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Case-, accent-form- and whitespace-insensitive form used for the exact hash."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_WORD.findall(text))


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(normalize_text(text or title).encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def shingles(tokens: list[str], size: int = SHINGLE) -> set[bytes]:
    if len(tokens) < size:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i : i + size]).encode("utf-8") for i in range(len(tokens) - size + 1)}


def signature(text: str) -> LeanMinHash | None:
    """MinHash of the text's word shingles, or None when the text is too short."""
    tokens = words(text)
    if len(tokens) < MIN_MINHASH_WORDS:
        return None
    mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    mh.update_batch(list(shingles(tokens)))
    return LeanMinHash(mh)


def to_bytes(sig: LeanMinHash) -> bytes:
    return np.asarray(sig.hashvalues, dtype=np.uint64).tobytes()


def from_bytes(data: bytes) -> LeanMinHash:
    values = np.frombuffer(data, dtype=np.uint64)
    return LeanMinHash(seed=1, hashvalues=values, scheme=SCHEME)


def band_buckets(sig: LeanMinHash) -> list[tuple[int, int]]:
    """(band, bucket) keys: each band's rows hashed to a signed 64-bit integer."""
    values = np.asarray(sig.hashvalues, dtype=np.uint64)
    out: list[tuple[int, int]] = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        out.append((band, struct.unpack("<q", digest)[0]))
    return out


def jaccard(a: LeanMinHash, b: LeanMinHash) -> float:
    return float(a.jaccard(b))


def best_match(
    sig: LeanMinHash, candidates: Iterable[tuple[int, bytes]], threshold: float
) -> tuple[int, float] | None:
    """The candidate (article id, similarity) most similar above ``threshold``; earliest
    id wins ties so that duplicates point at the first copy."""
    best: tuple[int, float] | None = None
    for article_id, data in candidates:
        sim = jaccard(sig, from_bytes(data))
        if sim < threshold:
            continue
        if best is None or sim > best[1] + 1e-9 or (abs(sim - best[1]) <= 1e-9
                                                   and article_id < best[0]):
            best = (article_id, sim)
    return best
