"""Section titles as short headlines trimmed from a section's lead sentence.

Parse and trim, after Dorr, Zajic & Schwartz (2003), "Hedge Trimmer: a parse-and-trim
approach to headline generation": take the main clause of the dependency parse, keep
its subject, verb and object (or first place phrase) and drop everything else —
determiners, relative clauses, appositions, time phrases, subordinate clauses. The verb
takes headline tense ("has said" → "Says", "was led" → "Led", "will meet" → "to Meet");
a negation is always kept. A reporting verb keeps its speaker and the reported clause
("Witkoff Says Negotiations Produced Meaningful Progress").

The words all come from the sentence, which the verifier has checked, so the title
claims nothing the sentence does not. ``trim`` returns None when the parse gives no
clean subject–verb headline of ``MIN_HEADLINE_WORDS`` to ``MAX_HEADLINE_WORDS`` words (a
pronoun subject, a fragment, a copula); the caller then titles the section from its key
phrases.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_HEADLINE_WORDS", "TITLE_SMALL_WORDS", "title_case", "trim"]

MAX_HEADLINE_WORDS = 12  # a section title is a headline of 4-12 words
MIN_HEADLINE_WORDS = 3

_REPORTING = {"say", "announce", "state", "report", "add", "note", "claim",
              "insist", "warn", "argue", "indicate", "suggest", "confirm", "declare",
              "write", "stress", "explain", "acknowledge", "admit", "predict", "believe", "think"}
_SUBJ = {"nsubj", "nsubjpass"}
_OBJ = {"dobj", "attr", "oprd", "acomp"}
# Lower-case in a title, as news headlines set it (AP): articles, conjunctions and
# prepositions of up to three letters; "With", "Over", "Into" are capitalised.
TITLE_SMALL_WORDS = frozenset({"a", "an", "the", "and", "or", "but", "nor", "of", "in", "on",
                               "at", "to", "for", "by", "as", "via", "per"})
_PLACE_PREPS = {"in", "at", "to", "into", "from", "near", "across", "over", "against",
                "with", "for", "on", "toward", "towards", "after", "amid", "by"}
_TIME_ENTS = {"DATE", "TIME"}
# Quantity heads that say nothing without their "of" phrase ("hundreds of drones").
_QUANTITY = {"hundred", "hundreds", "thousand", "thousands", "million", "millions",
             "dozen", "dozens", "number", "group", "series", "round", "wave", "lot",
             "part", "one", "some", "most", "all", "many", "none", "rest", "half",
             "majority", "range", "set", "end", "start", "resumption", "return", "kind",
             "total", "pair", "couple", "handful", "score", "array", "variety", "host",
             "count", "counts"}
_WEAK_ADJ = {"other", "several", "many", "new", "last", "next", "few", "more", "most",
             "such", "own", "same", "various", "recent", "latest", "further", "certain",
             "possible", "potential", "so-called"}
# Objects too vague to title a section ("takes a new turn", "endorses three terms").
_VAGUE = {"turn", "time", "times", "step", "steps", "way", "ways", "thing", "things",
          "term", "terms", "lot", "place", "part", "kind", "sort", "something", "anything",
          "nothing", "everything", "one", "ones", "point", "fact", "case", "matter"}
# Verbs whose object needs a complement a headline would drop ("puts X on hold",
# "leaves three dead", "calls X Y").
_NEEDS_COMPLEMENT = {"put", "place", "leave", "make", "keep", "set", "call", "name",
                     "render", "find", "get", "tell", "give", "let", "consider", "deem",
                     "describe", "regard", "view", "characterize", "characterise", "label",
                     "brand", "portray"}
# Of those, the ones whose object alone never tells the news ("puts X", "tells X",
# "gives X"); the others need a complement only where the sentence gives one ("left
# three dead", "named him coach", "found him guilty"): "Lohan Leaves Betty Ford Center"
# is whole.
_ALWAYS_COMPLEMENT = {"put", "place", "set", "tell", "give", "let", "keep"}
_COMPLEMENTS = {"oprd", "xcomp", "ccomp", "acomp", "advcl"}
# Verbs whose object takes an "of" + gerund charge: "Ukraine Accuses Russia of
# Undermining Diplomacy" (without it the headline says only "Ukraine Accuses Russia").
_OF_CHARGE = {"accuse", "suspect", "convict", "acquit", "warn", "clear", "rob", "deprive",
              "inform", "notify", "remind", "assure", "persuade", "convince"}
# Verbs whose object takes an "as" phrase, the news of the sentence ("described the talks
# as tense").
_AS_VERBS = {"describe", "regard", "view", "characterize", "characterise", "label", "brand",
             "portray", "hail", "denounce", "dismiss"}
# Verbs whose passive says nothing without its "as" phrase ("is being treated [as
# suspicious]").
_AS_PASSIVE = {"treat", "see", "consider", "regard", "view", "classify", "list", "rank",
               "identify", "cast", "style", "recognize", "recognise"}
# Reporting verbs whose bare object is no claim ("Umerov Said Discussions …").
_SAY = {"say", "state", "add", "note", "write", "tell"}
_BREAKS = {"-", "–", "—", ",", ";", ":", "(", ")"}  # a quotation mark is no break
_NEGATORS = {"not", "no", "never", "non", "n't", "without", "nor", "neither"}
_MODALS = {"could", "might", "may", "would", "should", "must", "can", "cannot", "ca"}
_IRREGULAR_3SG = {"be": "is", "have": "has", "do": "does", "go": "goes"}


def _count(words: list[Any]) -> int:
    """Words as the title shows them: "four - year" is one."""
    return sum(1 for w in words if str(w) not in ("-", "–"))


def _third_person(lemma: str) -> str:
    if lemma in _IRREGULAR_3SG:
        return _IRREGULAR_3SG[lemma]
    if lemma.endswith(("s", "sh", "ch", "x", "z", "o")):
        return lemma + "es"
    if len(lemma) > 2 and lemma.endswith("y") and lemma[-2] not in "aeiou":
        return lemma[:-1] + "ies"
    return lemma + "s"


def _plural(tok: Any, shown: list[Any] | None = None) -> bool:
    """Plural as the headline shows the subject: "Ukraine and Russia" are."""
    if shown is not None and any(t.dep_ == "cc" for t in shown):
        return True
    return tok.tag_ in ("NNS", "NNPS") or (
        tok.pos_ == "NOUN" and tok.lower_.endswith("s") and tok.lower_ != tok.lemma_.lower())


def _name(tok: Any) -> list[Any]:
    """A proper name: the head with its compound proper nouns ("United States"); a
    person by surname, as headlines name them ("Witkoff")."""
    if tok.ent_type_ == "PERSON" and tok.ent_iob_ != "B" and tok.i + 1 < len(tok.doc) \
            and tok.doc[tok.i + 1].ent_iob_ != "I":
        if tok.text.rstrip(".") in _SUFFIXES and tok.i > 0 and \
                tok.doc[tok.i - 1].ent_type_ == "PERSON":
            return [tok.doc[tok.i - 1]]  # "Anthony LaCalamita III" is LaCalamita, not III
        return [tok]
    # the contiguous run of proper nouns before the head that modify it, or modify one
    # that does ("Los" of "Angeles" of "Angels", "Human" of "Rights" of "Watch")
    run = [tok]
    doc = tok.doc
    k = tok.i - 1
    while k >= 0 and tok.i - k <= 3 and doc[k].dep_ == "compound" and \
            doc[k].pos_ == "PROPN" and doc[k].head in run:
        run.insert(0, doc[k])
        k -= 1
    return run


def _noun_phrase(tok: Any, depth: int = 0) -> list[Any] | None:
    """The head with the modifiers a headline keeps; None for pronouns."""
    if tok.pos_ == "PRON" or tok.pos_ not in ("NOUN", "PROPN", "NUM", "ADJ"):
        return None
    if tok.pos_ == "PROPN":
        words = _name(tok)
    else:
        keep: set[int] = set()
        for c in tok.lefts:
            if c.dep_ == "poss" and c.pos_ == "PROPN":  # "Russia's delegation"
                keep |= {w.i for w in _name(c)} | {w.i for w in c.rights if w.dep_ == "case"}
            elif c.dep_ in ("amod", "compound", "nummod") and c.lower_ not in _WEAK_ADJ \
                    and (c.pos_ in ("ADJ", "NOUN", "PROPN", "NUM") or c.tag_ == "VBN"):
                keep.add(c.i)
        start = tok.i  # the contiguous run of kept words ending at the head
        while tok.i - start < 4:
            if start - 1 in keep:
                start -= 1
            elif start >= 2 and tok.doc[start - 1].text in ("-", "–") and (
                    start - 2 in keep or tok.doc[start - 2].head.i == start):
                start -= 2  # "four-year war"
            else:
                break
        if start >= 1 and tok.doc[start - 1].lower_ == "no" and \
                tok.doc[start - 1].head.i == tok.i:
            start -= 1  # "No Injuries", never "Injuries" for "no injuries"
        end = tok.i + 1
        doc = tok.doc
        while end + 1 < len(doc) and doc[end].text in ("-", "–") and \
                not doc[end - 1].whitespace_ and not doc[end].whitespace_:
            end += 2  # a compound the parse split ("another co - worker"): whole
        words = list(doc[start: end])
        if any(c.like_num and c.i < start for w in words for c in w.lefts):
            return None  # a number the trim would drop ("1.2 million voters")
        if any((t.dep_ == "neg" or t.lower_ in _NEGATORS) and t.i < start
               for t in tok.doc[tok.left_edge.i: tok.i]):
            return None  # "a not guilty plea" is never "Guilty Plea"
    if depth == 0:
        for c in tok.rights:
            if c.dep_ == "conj" and c.pos_ == tok.pos_ == "PROPN":
                cc = [w for w in tok.rights if w.dep_ == "cc"]
                if cc:
                    words = words + [cc[0]] + _name(c)
                break
        if tok.lower_ in _QUANTITY and not (tok.lower_ == "one" and words[0].lower_ == "no"):
            of = [c for c in tok.rights if c.dep_ == "prep" and c.lower_ in ("of", "to")]
            pobj = [c for c in of[0].children if c.dep_ == "pobj"] if of else []
            inner = _noun_phrase(pobj[0], depth + 1) if pobj else None
            if not inner:
                return None
            words = words + [of[0]] + inner
    return words


def _as_phrase(verb: Any, obj: Any) -> list[Any] | None:
    """The "as" phrase after ``obj`` that says what it is called: "as tense", "as a
    breakthrough", "as lasting six hours"."""
    for c in verb.rights:
        if c.dep_ == "prep" and c.lower_ == "as" and c.i > obj.i:
            for w in c.children:
                if w.dep_ in ("amod", "acomp") and w.pos_ == "ADJ":  # "as suspicious"
                    return [c] + [x for x in w.lefts if x.dep_ == "advmod"] + [w]
                if w.dep_ == "pobj":
                    inner = _noun_phrase(w)
                    return None if inner is None else [c] + inner
                if w.dep_ == "pcomp" and w.pos_ in ("VERB", "ADJ"):
                    wobj = next((x for x in w.rights if x.dep_ in ("dobj", "acomp")), None)
                    inner = ([wobj] if wobj is not None and wobj.pos_ == "ADJ" else
                             _noun_phrase(wobj) if wobj is not None else [])
                    if inner is None:
                        return None
                    also = next((x for x in w.rights if x.dep_ == "conj"), None)
                    state = next((x for x in also.rights if x.dep_ == "acomp"
                                  and x.pos_ == "ADJ"), None) if also is not None else None
                    # "as lasting six hours and being highly tense" -> "… and Tense"
                    cc = next((x for x in w.rights if x.dep_ == "cc"), None)
                    return [c, w] + inner + ([cc, state] if state is not None and cc is not None
                                             else [])
            return None
    return None


def _of_gerund(verb: Any, obj: Any) -> list[Any] | None:
    """The "of" + gerund (+ its object) after ``obj``: "of undermining diplomacy"."""
    for c in verb.rights:
        if c.dep_ == "prep" and c.lower_ == "of" and c.i > obj.i:
            gerund = next((w for w in c.children if w.dep_ == "pcomp" and w.tag_ == "VBG"),
                          None)
            if gerund is None:
                return None
            gobj = next((w for w in gerund.rights if w.dep_ == "dobj"), None)
            inner = _noun_phrase(gobj) if gobj is not None else []
            return None if inner is None else [c, gerund] + inner
    return None


# Verbs whose subject and verb tell the whole event: "Half of Roof Collapses", "Bettie
# Page Dies".
_WHOLE_EVENT = {"die", "collapse", "resign", "explode", "crash", "sink", "erupt", "flee",
                "escape", "surrender", "retire", "disappear", "vanish", "drown", "capsize",
                "derail", "detonate", "abdicate", "defect", "implode"}
# Nouns of a stretch of time, which the parser does not tag as times ("closed for some
# time" is not "Closed for Time").
_SPANS = {"time", "times", "while", "moment", "moments", "spell", "period", "periods"}
# Nor is a measure or a manner ("hit at such a high rate of speed", "at a cost of").
_MEASURES = {"rate", "rates", "speed", "speeds", "pace", "level", "levels", "cost", "costs",
             "price", "prices", "way", "manner", "risk", "odds", "scale", "degree", "extent"}
# Adverb particles of phrasal verbs, which the parser may take for prepositions.
_PARTICLES = {"out", "off", "away", "back", "up", "down"}
# Generational suffixes of a person's name.
_SUFFIXES = {"Jr", "Sr", "II", "III", "IV"}


def _place(verb: Any) -> list[Any] | None:
    """The first prepositional phrase of the verb that is not a time ("in Geneva")."""
    for c in verb.rights:
        if c.dep_ == "prep" and c.lower_ in _PARTICLES and not any(
                w.dep_ == "pobj" for w in c.children):
            # A particle the parser took for a preposition: "checked out [of the Betty
            # Ford Center]" is "Checks Out of Betty Ford Center".
            inner_prep = next((w for w in c.children if w.dep_ == "prep"), None)
            pobj = [] if inner_prep is None else [
                w for w in inner_prep.children if w.dep_ == "pobj"]
            inner = _noun_phrase(pobj[0]) if pobj and pobj[0].ent_type_ not in \
                _TIME_ENTS else None
            if inner_prep is not None and inner:
                return [c, inner_prep] + inner
            continue
        if c.dep_ == "agent" or (c.dep_ == "prep" and c.lower_ in _PLACE_PREPS):
            pobj = [w for w in c.children if w.dep_ == "pobj"]
            if not pobj or pobj[0].ent_type_ in _TIME_ENTS or \
                    pobj[0].lower_ in _SPANS | _MEASURES or any(
                    re.fullmatch(r"\d{1,2}[:.]\d\d", w.text)
                    for w in verb.doc[pobj[0].left_edge.i: pobj[0].i + 1]):
                continue  # a time ("after 06:00 BST", "for some time"), not a place
            inner = _noun_phrase(pobj[0])
            if inner:
                return [c] + inner
    return None


def _from_doing(verb: Any, obj: Any) -> bool:
    """Whether ``verb`` keeps its object from doing something ("blocked the law from
    being used", "barred him from running"): without the gerund the headline says the
    opposite of the news."""
    return any(c.dep_ == "prep" and c.lower_ == "from" and c.i > obj.i
               and any(g.dep_ == "pcomp" for g in c.children) for c in verb.rights)


def _clause(verb: Any, headline_tense: bool, budget: int = MAX_HEADLINE_WORDS) -> list[str] | None:
    subjects = [c for c in verb.lefts if c.dep_ in _SUBJ]
    if not subjects:
        return None
    # Two subjects are a parse gone wrong ("Constable Tim Fanning allege the … man …
    # opened fire", "the … love story and blockbuster success the first film … was
    # released"): the one next to the verb is its subject.
    subj = subjects[-1]
    subject = _noun_phrase(subj)
    if not subject or subj.pos_ == "NUM" or (len(subject) == 1 and subj.text.isupper()
                                            and len(subj.text) > 3):
        return None  # "One passes…", a dateline ("WASHINGTON sends…")
    auxes = [c for c in verb.lefts if c.dep_ in ("aux", "auxpass")]
    neg = [c for c in verb.children if c.dep_ == "neg"]
    passive = any(c.dep_ == "auxpass" for c in auxes)
    if verb.lemma_ == "be" or (verb.pos_ == "AUX" and not passive):
        return None  # copulas make poor headlines ("Talks Were Tense")
    prt = [c.text for c in verb.rights if c.dep_ == "prt"]
    if neg or any(a.lower_ in _MODALS for a in auxes):
        # The writer's own auxiliaries, negation and hedges stay: "Did Not Confirm",
        # "May Have Faced".
        vwords = [{"n't": "not", "ca": "can", "wo": "will"}.get(t.lower_, t.text)
                  for t in sorted(auxes + neg, key=lambda t: t.i)] + [verb.text]
    elif passive:
        vwords = [verb.text]  # "Delegation Led by Medinsky"
    elif any(a.lower_ in ("will", "'ll", "to") for a in auxes):
        vwords = ["to", verb.lemma_]
    elif not headline_tense:
        vwords = [verb.text]
    else:
        vwords = [verb.lemma_ if _plural(subj, subject) else _third_person(verb.lemma_)]
    words = [t.text for t in subject] + vwords + prt
    obj = next((c for c in verb.rights if c.dep_ in _OBJ), None)
    rest: list[Any] | None = None
    if obj is not None and obj.ent_type_ in _TIME_ENTS:
        return None  # "Overturns 11th Hour": a time is no object
    if obj is not None:
        if obj.pos_ == "ADJ" and obj.dep_ in ("acomp", "oprd"):
            # "Found Guilty of First-Degree Murder"; never a bare "Found Guilty"
            # where the sentence says of what.
            rest = [obj]
            of = next((c for c in obj.rights if c.dep_ == "prep"), None)
            if of is not None:
                pobj = next((w for w in of.children if w.dep_ == "pobj"), None)
                inner = _noun_phrase(pobj) if pobj is not None else None
                if inner is None:
                    return None
                rest += [of] + inner
        else:
            rest = _noun_phrase(obj)
        if rest and any(t.text in _BREAKS for t in verb.doc[verb.i + 1: rest[0].i]):
            return None  # "supports X - undermining claims": the parse reached past a break
        if rest is not None and verb.lemma_ in _AS_VERBS:
            role = _as_phrase(verb, obj)  # "Describe Talks as Lasting Six Hours"
            if role is None:
                return None
            rest = rest + role
        elif rest is None or obj.lower_ in _VAGUE or (
                verb.lemma_ in _NEEDS_COMPLEMENT and (verb.lemma_ in _ALWAYS_COMPLEMENT or any(
                    c.dep_ in _COMPLEMENTS and c.i > obj.i for c in verb.rights)
                    or any(c.dep_ == "prep" and c not in rest for c in obj.rights))):
            return None  # nor where the object lost its own phrase ("Leaves Trail" [of …])
        if verb.lemma_ in _SAY and verb.lemma_ in _REPORTING:
            claim = next((c for c in obj.rights if c.dep_ == "acl" and c.pos_ == "VERB"),
                         None)
            place = _place(claim) if claim is not None else None
            if claim is None or place is None:
                return None  # "Umerov Says Discussions": what he said is elsewhere
            rest = rest + [claim] + place
        if any(c.dep_ in ("xcomp", "ccomp", "oprd", "dative") and c.i > obj.i
               for c in verb.rights):
            return None  # "urged X [to do Y]", "would like X [to move]"
        if _from_doing(verb, obj):
            return None  # "prevent the law [from being used]": the news is the gerund
        if verb.lemma_ in _OF_CHARGE:
            charge = _of_gerund(verb, obj)
            if charge is None:
                return None  # "Accuses Russia" says nothing of what
            rest = rest + charge
    elif passive and verb.lemma_ in _AS_VERBS | _AS_PASSIVE:
        rest = _as_phrase(verb, verb)  # "Fire Treated as Suspicious", never "Fire Treated"
        if rest is None:
            return None
    elif passive and verb.lemma_ in _OF_CHARGE:
        rest = _of_gerund(verb, verb)  # "Pitman Accused of Setting Fire"
        if rest is None:
            return None  # "Accused" of what is elsewhere
    else:
        xcomp = next((c for c in verb.rights if c.dep_ == "xcomp" and c.pos_ == "VERB"), None)
        small = next((c for c in verb.rights if c.dep_ == "ccomp" and c.pos_ == "ADJ"
                      and any(w.dep_ == "nsubj" for w in c.lefts)), None)
        if small is not None and verb.lemma_ not in _REPORTING:
            # A small clause: "found Hiller guilty of two counts of first-degree murder"
            # -> "Lerner Finds Hiller Guilty of Two Counts of First-Degree Murder".
            who = _noun_phrase(next(w for w in small.lefts if w.dep_ == "nsubj"))
            of = next((c for c in small.rights if c.dep_ == "prep"), None)
            pobj = next((w for w in of.children if w.dep_ == "pobj"), None) \
                if of is not None else None
            inner = _noun_phrase(pobj) if pobj is not None else None
            if who is None or (of is not None and inner is None):
                return None
            rest = who + [small] + ([of] + inner if of is not None and inner else [])
        elif xcomp is not None:
            xobj = next((c for c in xcomp.rights if c.dep_ == "dobj"), None)
            inner = _noun_phrase(xobj) if xobj is not None else []
            if inner is None or (xobj is not None and xobj.lower_ in _VAGUE):
                return None
            if xobj is not None and _from_doing(xcomp, xobj):
                return None  # "Designed to Prevent Endangered Species Act [from …]"
            if xobj is None and any(c.dep_ in ("conj", "xcomp", "ccomp") and
                                    c.pos_ in ("VERB", "AUX") for c in xcomp.rights):
                return None  # "Decides to Try [and shed her image]": the news is cut off
            # Its own auxiliaries and particle stay: "Happened to Be Pulled Over", not
            # "Happened to Pulled".
            aux = [c for c in xcomp.lefts if c.dep_ in ("aux", "auxpass")]
            xprt = [c for c in xcomp.rights if c.dep_ == "prt"]
            rest = aux + [xcomp] + xprt + inner
    if not rest and verb.lemma_ in _REPORTING:
        return None  # "Obama Says for First Time": what was said is elsewhere
    tail = [t.text for t in rest] if rest else []
    if not rest or passive:
        place = _place(verb)
        if place and _count(words) + _count(tail) + _count(place) <= budget:
            tail += [t.text for t in place]
        elif not rest and not passive and verb.lemma_ not in _WHOLE_EVENT:
            return None  # "Trump Vows", "Biden Wastes": says nothing yet
    return words + tail


def trim(doc: Any) -> str | None:
    """A headline of MIN_HEADLINE_WORDS..MAX_HEADLINE_WORDS words from a parsed sentence,
    or None."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.pos_ not in ("VERB", "AUX"):
        return None
    if any(c.dep_ == "mark" for c in root.children):
        return None  # the parse's root is a subordinate clause ("Although X suggests …")
    words: list[str] | None
    comp = next((c for c in root.rights if c.dep_ == "ccomp" and c.pos_ in ("VERB", "AUX")),
                None)
    if root.lemma_ in _REPORTING and comp is not None:
        subj = next((c for c in root.lefts if c.dep_ in _SUBJ), None)
        speaker = _noun_phrase(subj) if subj is not None else None
        inner = _clause(comp, headline_tense=False,
                        budget=MAX_HEADLINE_WORDS - 1 - len(speaker or ()))
        # A reported claim keeps who reports it, or the title would state it as fact;
        # one the speaker qualifies ("had made some progress but remains one of the most
        # repressive states") is no headline without its "but".
        if inner is None or not speaker or subj is None or any(
                c.dep_ == "conj" and any(w.dep_ == "cc" and w.lower_ in ("but", "yet")
                                         for w in comp.doc[comp.i: c.i])
                for c in comp.rights):
            return None
        verb = root.lemma_ if _plural(subj, speaker) else _third_person(root.lemma_)
        words = [t.text for t in speaker] + [verb] + inner
    else:
        words = _clause(root, headline_tense=True)
    if not words:
        return None
    words = [w for w in words if w.strip("\"“”‘’'`,—")]
    for k in range(len(words) - 2, 0, -1):  # "four - year" -> "four-year"
        if words[k] in ("-", "–"):
            words[k - 1: k + 2] = ["".join(words[k - 1: k + 2])]
    if not MIN_HEADLINE_WORDS <= len(words) <= MAX_HEADLINE_WORDS or words[-1].endswith("."):
        return None  # too short, too long, or cut at an abbreviation ("Rep.")
    return title_case(words)


def title_case(words: list[str]) -> str:
    out = []
    for k, w in enumerate(words):
        if w in ("'s", "’s"):
            out.append(w)
        elif 0 < k < len(words) - 1 and w.lower() in TITLE_SMALL_WORDS:  # not first or last
            out.append(w.lower())
        elif any(ch.isupper() for ch in w[1:]) or not w[:1].isalpha():
            out.append(w)  # "US", "McCain", "43"
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out).replace(" 's", "'s").replace(" ’s", "’s")
