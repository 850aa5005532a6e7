"""Quantities, "sources differ" conflicts, external links and section/headline phrases."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from storyline.write.extractive import ExtractiveWriter, _localized
from storyline.write.facts import external_links, find_conflicts, quantities, registered_domain
from storyline.write.keyphrases import Phrase, PhraseTagger, full_names
from storyline.write.schema import Section, StoryArticle


@pytest.mark.parametrize(("sentence", "expected"), [
    ("The quake killed 12 people and injured 40.", [(12, 12, 12, "people")]),
    ("At least 15 people were killed.", [(15, 15, float("inf"), "people")]),
    ("Talks lasted approximately six hours.", [(6, 4.8, 7.5, "hour")]),
    ("Ukraine logged 126 Russian attack drones launched.", [(126, 126, 126, "drone")]),
    ("Russia controls around 20 percent of Ukraine.", [(20, 16, 25, "percent")]),
    ("In 2014 Crimea was annexed; on February 18 talks resume.", []),
    ("He is 45 years old; 3 million people live there.", [(3e6, 3e6, 3e6, "people")]),
    ("A 6-hour session", [(6, 6, 6, "hour")]),
])
def test_quantities(sentence: str, expected: list[tuple[float, float, float, str]]) -> None:
    got = [(q.value, round(q.low, 2), q.high, q.unit) for q in quantities(sentence)]
    assert got == expected


def _unit(n: int, k: int) -> np.ndarray:
    v = np.zeros(n)
    v[k] = 1.0
    return v


def test_conflicts_need_the_same_thing_and_incompatible_figures() -> None:
    sentences = [
        (1, "The earthquake killed 12 people in the coastal town."),
        (2, "The earthquake killed 15 people in the coastal town, officials said."),
        (3, "At least 12 people died when the earthquake struck the town."),
        (3, "Rescuers searched 40 buildings."),
        (2, "The mayor said 30 buildings had collapsed in the flood last year."),
    ]
    same = np.array([_unit(3, 0), _unit(3, 0), _unit(3, 0), _unit(3, 1), _unit(3, 2)])
    conflicts = find_conflicts(sentences, same)
    assert len(conflicts) == 1  # buildings: 40 vs 30 are about different things
    c = conflicts[0]
    assert c.subject == "number of people"
    assert [(cl.value, cl.citations) for cl in c.claims] == [("12 people", [1]),
                                                              ("15 people", [2])]
    # "at least 12" is compatible with 15: no conflict from source 3 alone
    only = find_conflicts(sentences[1:3], same[1:3])
    assert only == []
    # one outlet giving both figures counts two things, not a disagreement
    boats = [(1, "Five pirate boats tried to attack the vessels and three boats were "
                 "captured by the navy."),
             (2, "The navy captured three boats after five boats attacked."),
             (3, "The warship captured three boats of the pirates.")]
    vecs = np.array([_unit(3, 0)] * 3)
    assert find_conflicts(boats, vecs) == []
    assert len(find_conflicts(boats[1:], vecs[1:])) == 0  # 2 gives both: same case
    # other things counted ("Yemeni" pirates of all the pirates; ladder trucks of all the
    # fire trucks), a whole beside its part, a figure said of something else, another
    # unit ("square-foot", "square-metre")
    pairs = [("Marine commandos nabbed 11 Yemeni pirates in the raid.",
              "Marine commandos nabbed 23 pirates in the raid."),
             ("Klitschko landed 178 of 369 punches thrown in the fight.",
              "Klitschko landed 28 of his 68 punches thrown in the fight."),
             ("Cheeks played for 11 seasons with the team before coaching.",
              "Under Cheeks the team reached the playoffs in his first two seasons."),
             ("The 170,000-square-foot building houses law offices.",
              "The 15,800-square-metre building houses law offices.")]
    for a, b in pairs:
        assert find_conflicts([(1, a), (2, b)], vecs[:2]) == [], (a, b)
    assert [c.subject for c in find_conflicts(
        [(1, "The quake struck Qeshm island, home to 120,000 people."),
         (2, "The quake was centred near Qeshm Island, home to 200,000 people.")],
        vecs[:2])] == ["number of people"]
    split = [(1, "Five pirate boats were captured by the navy."),
             (2, "The navy captured three pirate boats.")]
    assert [c.subject for c in find_conflicts(split, vecs[:2])] == ["number of boats"]


# Pairs of the demo's stories that were once shown as "sources differ" and count other
# things: a running total beside one operation's haul, a programme beside a stay, a role's
# seasons beside a whole career's, a losing streak beside a run of games, a season's split
# beside the combined line, a count beside an average, passengers and crew beside
# passengers, a point in time beside a duration.
OTHER_THINGS = [
    ("In their five operations so far, the personnel on board the warship have confiscated "
     "14 AK-47 Rifles, 31 magazines and 923 rounds of ammunition, he said.",
     "During the operation, six AK 47 rifles, 12 magazines and about 300 rounds of "
     "ammunition were found and confiscated."),
    ("Lindsay Lohan has checked out of the Betty Ford Treatment Center in Palm Springs after "
     "completing a 30-day program, but she's not in the clear yet!",
     "The actress has decided that the renowned facilities at the Betty Ford Centre won't "
     "be enough to keep her around for her court-ordered 90-day stay in rehab."),
    ("DiLeo spent four seasons as the Sixers Director of Player Personnel (1999-2003).",
     "DiLeo has spent 19 seasons with the 76ers and was promoted in 2003."),
    ("The Sixers (9-14) are instead last in the Atlantic after losing eight of their last "
     "10 games.",
     "The Sixers had a three-game losing streak going into Saturday night's contest."),
    ("Teixeira hit .358 with 13 homers and 43 RBIs in 54 games with the Angels.",
     "Playing in a combined 157 games with the Angels and Braves, Teixeira had 33 homers "
     "and 121 RBIs."),
    ("Teixeira was acquired by the Angels and hit 13 home runs and 43 RBIs in 54 games.",
     "Teixeira has averaged more than 30 home runs and 100 RBIs in his six seasons."),
    ("The threat of pirates prompted a German cruise ship to evacuate some 420 passengers "
     "and crew as the ship passed through the Gulf of Aden.",
     "The German cruise liner MS Columbus said it would fly its 246 passengers and most of "
     "its crew over the Gulf of Aden."),
    ("Fresh riots were reported in Greece in protest at the killing by police of a boy, "
     "Alexandros Grigoropoulos, eight days ago.",
     "The fatal shooting of Alexis Grigoropoulos sparked five days of riots across Greece."),
]


@pytest.mark.parametrize(("first", "second"), OTHER_THINGS)
def test_figures_of_other_things_or_scopes_are_no_conflict(first: str, second: str) -> None:
    vecs = np.array([_unit(2, 0)] * 2)
    assert find_conflicts([(1, first), (2, second)], vecs) == []


def test_figures_of_one_thing_still_conflict() -> None:
    """The rules above leave real disagreements: two magnitudes of one quake, two crowds
    in one city, a hyphenated figure against a plain one that is said of its noun."""
    vecs = np.array([_unit(2, 0)] * 2)
    pairs = [("The 5.9-magnitude quake struck Qeshm island, state media said.",
              "The 6.1-magnitude quake struck Qeshm island, state media said.",
              "number of magnitudes", ["5.9-magnitude", "6.1-magnitude"]),
             ("In Thessaloniki another 20,000 people marched through the city center.",
              "In Thessaloniki approximately 50,000 people marched through the city.",
              "number of people", ["20,000 people", "approximately 50,000 people"]),
             ("The opening session lasted four hours, officials said.",
              "The tense six-hour session ended without a deal, officials said.",
              "number of hours", ["four hours", "six-hour"])]
    for a, b, subject, values in pairs:
        got = find_conflicts([(1, a), (2, b)], vecs)
        assert [(c.subject, [cl.value for cl in c.claims]) for c in got] == [(subject, values)]
    # "days ago" counts from the day each was written: two such figures are no conflict
    assert find_conflicts([(1, "The boy was killed eight days ago in Athens."),
                           (2, "The boy was killed five days ago in Athens.")], vecs) == []


def test_external_links_keep_official_pages_and_drop_news_and_own_sites() -> None:
    links = [
        (1, "https://www.trtworld.com/article/123", [
            "https://www.trtworld.com/topic/ukraine",  # own site
            "https://www.reuters.com/world/europe/some-story",  # another news site
            "https://www.president.gov.ua/en/news/statement-on-the-geneva-talks-9876",
            "https://x.com/SteveWitkoff/status/1891234567890",
            "https://www.facebook.com/sharer/sharer.php?u=x",
        ]),
        (2, "https://example-news.co.uk/story", [
            "https://www.president.gov.ua/en/news/statement-on-the-geneva-talks-9876",
            "https://example-news.co.uk/other",
        ]),
    ]
    got = external_links(links)
    assert [(e.domain, e.citations) for e in got] == [("president.gov.ua", [1, 2]),
                                                      ("x.com", [1])]
    assert got[0].title == "Statement on the geneva talks"
    assert got[1].title == "Post by @SteveWitkoff on X"
    assert registered_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("news.example.com") == "example.com"


def test_phrases_and_places() -> None:
    tagged = PhraseTagger().tag([
        "Russia's delegation is led by former culture minister Vladimir Medinsky.",
        "Talks resumed in Geneva as hundreds of drones struck the full-scale front.",
    ])
    keys = {p.key for p in tagged[0].phrases}
    assert "vladimir medinsky" in keys and "culture minister vladimir medinsky" in keys
    assert not any(p.key.startswith("former") for p in tagged[0].phrases)
    assert tagged[1].places == ["Geneva"]
    # The places alone (from the named entities only) are the tagger's.
    texts = ["Officials from Ukraine met in Paris after talks in Geneva ended.",
             "Police said a fire broke out at Heathrow Airport in London.",
             "Ukraine and Russia traded blame for the strikes."]
    assert PhraseTagger().places(texts) == [["Paris", "Geneva"], ["Heathrow Airport", "London"],
                                            []]
    assert [t.places for t in PhraseTagger().tag(texts)] == PhraseTagger().places(texts)
    assert "drone" in {p.key for p in tagged[1].phrases}


def test_hyphenated_compounds_stay_whole() -> None:
    """"full-scale invasion" is one phrase; never "scale invasion" (a section once got
    that title), nor "year war" out of "four-year war"."""
    tagged = PhraseTagger().tag([
        "The talks come days before the anniversary of Russia's full-scale invasion.",
        "The United States wants an end to the nearly four-year war in the east.",
    ])
    first = {p.text for p in tagged[0].phrases}
    assert "full-scale invasion" in first and "scale invasion" not in first
    assert {p.key for p in tagged[0].phrases} >= {"full-scale invasion", "anniversary"}
    second = {p.text for p in tagged[1].phrases}
    assert "United States" in second and not any(t.startswith("year") for t in second)


def test_headline_gains_the_place_most_sources_give() -> None:
    places = [["Geneva"], ["Geneva", "Moscow"], ["Geneva"], []]
    assert _localized("Progress made in Ukraine war talks: Witkoff", places, 4) == \
        "Progress made in Ukraine war talks in Geneva: Witkoff"
    # named already, no event noun, or too few sources: unchanged
    assert _localized("Geneva talks make progress", places, 4) == "Geneva talks make progress"
    assert _localized("Witkoff hails progress", places, 4) == "Witkoff hails progress"
    assert _localized("Progress in talks", [["Geneva"], [], [], []], 4) == "Progress in talks"


def test_writer_reports_conflicts_related_and_links() -> None:
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)
    base = ("A powerful earthquake struck the coastal town of Marova early on Monday, "
            "collapsing homes and cutting power across the region. ")
    articles = [
        StoryArticle(1, "Earthquake strikes Marova", base + "The earthquake killed 12 people "
                     "in Marova, the regional governor said on Monday morning.", "Outlet A",
                     "https://a.example/quake", when,
                     links=["https://www.usgs.gov/earthquakes/event-page-marova-m6"]),
        StoryArticle(2, "Deadly quake hits Marova", base + "The earthquake killed 19 people "
                     "in Marova, the regional governor said on Monday evening.", "Outlet B",
                     "https://b.example/quake", when),
        StoryArticle(3, "Deadly quake hits Marova", base, "Outlet C", "https://c.example/q",
                     when, duplicate_of=2),
    ]
    summary = ExtractiveWriter().write(articles)
    assert [c.subject for c in summary.conflicts] == ["number of people"]
    assert {cl.value for cl in summary.conflicts[0].claims} == {"12 people", "19 people"}
    assert [(r.article_id, r.source, r.duplicate_of) for r in summary.related] == [
        (1, 1, None), (2, 2, None), (3, None, 2)]
    assert [(e.domain, e.citations) for e in summary.external_links] == [("usgs.gov", [1])]


def test_lexrank_baseline_prefers_the_central_sentence_and_keeps_the_budget() -> None:
    from storyline.evaluate.baselines import LexRank, central_title

    texts = ["The central bank raised interest rates by half a point on Tuesday. "
             "Markets fell sharply after the announcement.",
             "Interest rates were raised by the central bank on Tuesday. "
             "The governor spoke to reporters in the capital afterwards.",
             "The bank raised interest rates, its third rise this year."]
    lex = LexRank(texts + ["Football results from the weekend league games."])
    summary = lex.summarize(texts, budget_words=12)
    assert summary.startswith("The central bank raised interest rates")
    assert len(summary.split()) == 12  # cut at the budget: length-matched
    assert central_title(["Bank raises rates", "Central bank raises interest rates",
                          "Weekend football"], lex.tfidf) == "Central bank raises interest rates"


def test_titles_lose_outlet_suffixes_but_keep_their_own_dashes() -> None:
    from storyline.write.extractive import _clean_title, _shorten

    assert _clean_title("Talks resume in Geneva | Reuters", None) == "Talks resume in Geneva"
    assert _clean_title("Talks resume in Geneva - The Hill", "The Hill") == \
        "Talks resume in Geneva"
    kept = "Trump gets another travel ban defeat — and the clock is ticking"
    assert _clean_title(kept, "Vox") == kept
    assert _clean_title("BREAKING: Quake hits Marova", None) == "Quake hits Marova"
    assert _clean_title("Palin appointee under federal indictment.", None) == \
        "Palin appointee under federal indictment"
    for kept in ("Sanctions eased by the U.S.", "Merger talks with Acme Inc.",
                 "Then it happened..."):
        assert _clean_title(kept, None) == kept
    # a headline set in capitals is recased, an acronym as the article writes it
    from storyline.write.extractive import _unshout
    body = "Deputies said the fallout continues, and the FBI and the DA's office in St. Mary " \
        "joined the search for the two inmates."
    assert _unshout("FALLOUT CONTINUES AFTER BRAZEN ESCAPE", body) == \
        "Fallout Continues After Brazen Escape"
    assert _unshout("FBI JOINS HUNT FOR U.S. INMATES IN HIT-AND-RUN, DA SAYS", body) == \
        "FBI Joins Hunt for U.S. Inmates in Hit-and-Run, DA Says"
    assert _unshout("NASA on the Moon", body) == "NASA on the Moon"  # not all capitals
    long = ("Senator says reports he called slavery a necessary evil are the definition "
            "of fake news — here's his original quote in full")
    assert _shorten(long) == ("Senator says reports he called slavery a necessary evil are "
                              "the definition of fake news")
    words = "word " * 30
    cut = _shorten(words.strip())
    assert len(cut) <= 90 and cut.endswith("…")


def test_timeline_cites_only_sources_that_support_the_entry() -> None:
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday: "on Sunday" is 1 March
    articles = [
        StoryArticle(1, "Bridge collapses", "The bridge over the Vessa river collapsed on "
                     "Sunday, injuring four people, regional officials said in a statement.",
                     "A", None, when),
        StoryArticle(2, "Club news", "The football club in the regional capital announced "
                     "its new head coach on Sunday after a long and difficult search.", "B",
                     None, when),
        StoryArticle(3, "Vessa bridge falls", "Regional officials said in a statement that "
                     "the bridge over the Vessa river collapsed on Sunday, injuring four.",
                     "C", None, when),
        # Says the bridge collapsed, but what it dates to Sunday is something else: it
        # does not support "collapsed on Sunday".
        StoryArticle(4, "Regional roundup", "The bridge over the Vessa river collapsed, "
                     "injuring four people, regional officials said in a statement. "
                     "Engineers will inspect the other river crossings this spring. "
                     "Traffic is being diverted through the northern suburbs for now. "
                     "Local schools remain open and buses run to a changed timetable. "
                     "In other news, the football club announced its new head coach on "
                     "Sunday after a long search.", "D", None, when),
    ]
    timeline = ExtractiveWriter().write(articles).timeline
    entry = next(e for e in timeline if str(e.date) == "2026-03-01")
    assert "bridge" in entry.text and entry.citations == [1, 3]


def test_headline_prefers_a_title_that_fits_over_one_cut_mid_phrase() -> None:
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)
    long = ("Biologists call on the administration to overturn rules that cut science out "
            "of endangered species decisions across the country")
    articles = [
        StoryArticle(1, long, "Biologists asked the administration to overturn the rules "
                     "on endangered species decisions, saying science was cut out.", "A",
                     None, when),
        StoryArticle(2, "Administration to overturn endangered species rules",
                     "The administration will overturn rules on endangered species "
                     "decisions, officials said on Monday.", "B", None, when),
    ]
    headline = ExtractiveWriter().write(articles).headline
    assert headline == "Administration to overturn endangered species rules"


def test_names_stay_whole_and_halves_join_them() -> None:
    tagged = PhraseTagger().tag([
        "Lohan's lawyer told Superior Court Judge James R. Dabney that she checked in.",
        "Turkmenistan is a member of the Commonwealth of Independent States.",
        "Police shot Kimani Gray on Saturday night in East Flatbush.",
        "Kimani was 16, his family said.",
    ])
    assert "Judge James R. Dabney" in {p.text for p in tagged[0].phrases}
    assert "Commonwealth of Independent States" in {p.text for p in tagged[1].phrases}
    whole = full_names([p for t in tagged for p in t.phrases])
    assert whole["kimani"].text == "Kimani Gray"
    assert "turkmenistan" not in whole  # a name of its own, in no longer name
    # A sentence-initial common noun is not a name ("Police intervened …").
    assert not any(p.is_name for p in PhraseTagger().tag(["Police intervened at once."])[0]
                   .phrases)


def test_a_section_title_repeats_no_word_of_an_earlier_one() -> None:
    def ph(*texts: str) -> set[Phrase]:
        return {Phrase(t.lower(), t) for t in texts}

    phrases = {0: ph("Kimani Gray", "vigil"), 1: ph("Kimani Gray", "East Flatbush"),
               2: ph("Kimani Gray", "East Flatbush", "woman")}
    groups = Counter({"kimani gray": 2, "east flatbush": 1, "vigil": 1, "woman": 1})
    first = ExtractiveWriter._section_title([0, 1], phrases, groups, 2, [])
    assert first.startswith("Kimani Gray")
    second = ExtractiveWriter._section_title([1, 2], phrases, groups, 2,
                                             [Section(first, [])])
    assert second == "East Flatbush"
    # Only generic nouns and an earlier title's words left: never a repeat nor "Woman".
    third = ExtractiveWriter._section_title([2], {2: ph("Kimani Gray", "woman")}, groups, 3,
                                            [Section(first, [])])
    assert "Kimani" not in third and third != "Woman"


def test_a_street_name_cut_to_its_last_word_is_no_title() -> None:
    """The demo's Queens page had a section titled "Street": the tagger reads "117th
    Street" as "Street", a capitalised word that names nothing alone."""
    def ph(*texts: str) -> set[Phrase]:
        return {Phrase(t.lower(), t) for t in texts}

    phrases = {0: ph("police", "grey Toyota Camry", "Toyota Camry", "Street", "scene"),
               1: ph("woman", "car", "Avenue", "Street")}
    groups = Counter({"street": 1, "avenue": 1, "grey toyota camry": 1, "toyota camry": 1,
                      "police": 2, "scene": 2, "woman": 3, "car": 1})
    title = ExtractiveWriter._section_title([0, 1], phrases, groups, 6, [])
    assert "Street" not in title and "Avenue" not in title
    assert "Toyota Camry" in title
