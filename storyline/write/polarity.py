"""Do two sentences about the same thing say opposite things?

Similar words, opposite fact: "Gary Ross has reportedly pulled out of negotiations" and
"Ross is currently in the negotiation stages" are close in meaning to an encoder, and a
citation of the second for the first is a lie. Two tests, both over sentences the caller
already knows to be about the same thing (close in meaning):

- a **reversed verb**: one sentence takes a side of a pair the other takes the opposite
  side of ("in talks" / "pulled out", "accepted" / "rejected", "confirmed" / "denied",
  "will direct" / "won't direct"); a sentence that names both sides ("despite reports
  that he would not return, he is back at the table") takes neither;
- a **negation**: one sentence is negated ("has not departed") and the other is not,
  while they share most of their content words (the same statement, flipped).

The writers use it to keep a source that says otherwise out of a sentence's citations
(through the verifier), to keep opposite statements out of one fact, and to find a
story's latest development (the newer of two opposite statements).
"""

from __future__ import annotations

import re

from storyline.text.lexicon import FACT_STOP_WORDS

__all__ = ["contradicts", "negated", "reverses", "stance"]

# (positive side, negative side) of each reversible statement.
_PAIRS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"\b(?:in (?:\w+ )?(?:talks|negotiations?|the negotiation stages?|"
                r"discussions)|(?:still|currently|now) negotiating|negotiating (?:with|to)|"
                r"back (?:in talks|at the (?:negotiating )?table)|resumed? (?:talks|"
                r"negotiations)|(?:talks|negotiations) (?:\w+ )?(?:continue|resume)[sd]?|"
                r"remains? in (?:talks|negotiations)|set to (?:direct|return|star|lead)|"
                r"will (?:direct|return|star|lead)|(?:is|are) returning)\b", re.I),
     re.compile(r"\b(?:pull(?:s|ed|ing)? out|withdr[ae]w|withdrawn|withdraw(?:s|ing)?|"
                r"step(?:s|ped|ping)? (?:away|down|aside)|drop(?:s|ped|ping)? out|"
                r"back(?:s|ed|ing)? out|walk(?:s|ed|ing)? away|quit(?:s|ting)?|"
                r"exit(?:s|ed|ing)?|broke off|break(?:s|ing)? off|call(?:s|ed)? off|"
                r"(?:won['’]t|will not|would not|wouldn['’]t|not) (?:be )?(?:direct(?:ing)?|"
                r"return(?:ing)?|back)|no longer (?:in talks|negotiating|attached|directing)|"
                r"(?:ended|abandoned|collapsed?) (?:the )?(?:talks|negotiations))\b", re.I)),
    (re.compile(r"\b(?:accept(?:s|ed|ing)?|agree(?:s|d|ing)? to)\b", re.I),
     re.compile(r"\b(?:reject(?:s|ed|ing)?|decline(?:s|d)?|refuse(?:s|d)?|turn(?:s|ed)? down)\b",
                re.I)),
    (re.compile(r"\b(?:confirm(?:s|ed|ing)?|admit(?:s|ted)?)\b", re.I),
     re.compile(r"\b(?:den(?:y|ies|ied|ying)|dismiss(?:es|ed)? (?:reports|claims))\b", re.I)),
    (re.compile(r"\b(?:approve[sd]?|pass(?:es|ed)|upheld|uphold(?:s)?)\b", re.I),
     re.compile(r"\b(?:veto(?:es|ed)?|block(?:s|ed)|overturn(?:s|ed)?|struck down|strikes? "
                r"down)\b", re.I)),
    (re.compile(r"\b(?:survived|alive|rescued)\b", re.I),
     re.compile(r"\b(?:killed|died|dead|perished)\b", re.I)),
    (re.compile(r"\b(?:convicted|found guilty|guilty verdict)\b", re.I),
     re.compile(r"\b(?:acquitted|found not guilty|cleared of)\b", re.I)),
    (re.compile(r"\b(?:arrested|detained|in custody|charged)\b", re.I),
     re.compile(r"\b(?:released without charge|still at large|remains? at large|"
                r"on the run|escaped)\b", re.I)),
]
_NEGATION = re.compile(r"\b(?:not|never|no longer|n['’]t|won['’]t|cannot|without)\b|n['’]t\b",
                       re.I)
def _content(s: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", s.lower())
            if w not in FACT_STOP_WORDS and len(w) > 2}


def _words(s: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", s.lower().replace("’", "'")))


def stance(sentence: str) -> list[int]:
    """Per reversible pair: +1 (positive side only), -1 (negative only), 0 (neither or
    both)."""
    out = []
    for pos, neg in _PAIRS:
        p, n = bool(pos.search(sentence)), bool(neg.search(sentence))
        out.append(0 if p == n else (1 if p else -1))
    return out


def negated(sentence: str) -> bool:
    return bool(_NEGATION.search(sentence))


def reverses(a: str, b: str) -> bool:
    """``a`` and ``b`` take opposite sides of a reversible statement ("in talks" /
    "won't direct"): the stronger test, for headlines, which are terse."""
    return any(x * y < 0 for x, y in zip(stance(a), stance(b), strict=True))


def contradicts(a: str, b: str, *, shared: float = 0.5) -> bool:
    """``a`` and ``b`` (about the same thing) state opposite facts: a reversed verb, or
    one is negated and the other not while sharing at least ``shared`` of the shorter
    one's content words. A sentence that is part of the other (a lead's complete first
    clause) states what the other states."""
    wa, wb = _words(a), _words(b)
    if wa and wb and (f" {wa} " in f" {wb} " or f" {wb} " in f" {wa} "):
        return False
    if reverses(a, b):
        return True
    if negated(a) != negated(b):
        ca, cb = _content(a), _content(b)
        if ca and cb and len(ca & cb) >= shared * min(len(ca), len(cb)):
            return True
    return False
