"""Section titles trimmed from lead sentences (storyline/write/trim.py), on the spaCy
parse the writer uses."""

from __future__ import annotations

import pytest

from storyline.write.keyphrases import PhraseTagger
from storyline.write.trim import MAX_HEADLINE_WORDS


@pytest.fixture(scope="module")
def tagger() -> PhraseTagger:
    return PhraseTagger()


HEADLINES = [
    # "no one" is a subject, not a quantity without its "of" (the demo's Waitrose fire)
    ("A spokesperson from Waitrose said that no one was hurt in the incident.",
     "Spokesperson Says No One Hurt in Incident"),
    ("No one was injured in the fire.", "No One Injured in Fire"),
    # a hyphenated word the parse split stays whole (never "Interviews Co")
    ("NBC Philadelphia has interviewed another co-worker of hers, Kenneth Dorsey, and he "
     "said he had talked with her.", "NBC Philadelphia Interviews Co-Worker"),
    # a verb whose subject tells the whole event needs no object; a time is no place
    # (never "Half of Roof Collapses After BST")
    ("Half of the roof at the entrance of the store in the High Street collapsed during the "
     "blaze, shortly after 06:00 BST on Sunday.", "Half of Roof Collapses"),
    ("Legendary pinup queen Bettie Page died of pneumonia at the age of 85 in a Los Angeles "
     "hospital.", "Bettie Page Dies"),
    # a reported claim keeps its speaker; the person by surname
    ("US special envoy Steve Witkoff has said that negotiations between Ukraine and Russia "
     "have produced “meaningful progress” toward ending the war, as delegations prepared to "
     "continue discussions for a second day in Geneva on Wednesday.",
     "Witkoff Says Negotiations Produced Meaningful Progress"),
    # headline tense; time phrases and subordinate clauses go
    ("Negotiators from Ukraine and Russia resumed a second round of peace talks in Geneva on "
     "Wednesday, as the United States expressed cautious optimism about efforts to end "
     "Europe’s deadliest conflict since World War II.",
     "Negotiators Resume Second Round of Peace Talks"),
    # passive with its agent; the possessive stays
    ("Russia’s delegation is being led by former culture minister Vladimir Medinsky, while "
     "Ukraine’s team is headed by national security secretary Rustem Umerov.",
     "Russia’s Delegation Led by Medinsky"),
    # a relational noun keeps its complement; a hyphenated compound stays whole
    ("The United States has been pushing for an end to the nearly four-year war, but has "
     "failed to broker a compromise between Moscow and Kiev on the key issue of territory.",
     "United States Pushes for End to Four-Year War"),
    # negation and hedges are never dropped
    ("Russia did not confirm the meeting.", "Russia Did Not Confirm Meeting"),
    ("The 2020 Democratic presidential candidates may have faced a setback after the report.",
     "2020 Democratic Presidential Candidates May Have Faced Setback"),
    # "describe X as Y": the "as" phrase is the news and stays
    ("Russian media sources described the talks as lasting approximately six hours and being "
     "highly tense.", "Russian Media Sources Describe Talks as Lasting Six Hours and Tense"),
    # "accuse X of doing Y": the charge stays
    ("Ukraine accused Russia of undermining diplomacy by launching dozens of missiles and "
     "hundreds of drones in overnight attacks.", "Ukraine Accuses Russia of Undermining Diplomacy"),
    # "said discussions centered on …": what was said stays with the speaker
    ("Ukrainian chief negotiator Rustem Umerov said discussions centered on practical issues "
     "and mechanisms for possible conflict resolution.",
     "Rustem Umerov Says Discussions Centered on Practical Issues"),
    # up to 12 words, the length of a headline of a section
    ("Ukrainian President Volodymyr Zelensky stressed that Russia’s ongoing military actions "
     "must not be overlooked during negotiations.",
     "Zelensky Stresses Russia’s Ongoing Military Actions Must Not Be Overlooked"),
    # "decide to do": the plan is the news and stays
    ("The senator decided to resign on Friday.", "Senator Decides to Resign"),
    # ... with its own auxiliary and particle; a headline's last word is capitalised
    ("Residents along 117th Street said a police cruiser happened to be pulled over on the "
     "side of the road near where the crash occurred, and immediately chased the vehicle.",
     "Residents Say Police Cruiser Happened to Be Pulled Over"),
    # "no" is kept with its noun, never dropped
    ("Police reported no injuries in the crash on Monday.", "Police Report No Injuries"),
    ("The defendant entered a guilty plea in federal court.", "Defendant Enters Guilty Plea"),
    # the passive of a charge keeps the charge
    ("Robert Pitman, 24, is accused of setting fire to the Waitrose store in Wellington "
     "shortly after 06:00 BST.", "Pitman Accused of Setting Fire"),
    # an evening's vigil is an event, not a time to drop; AP capitals for "After"
    ("The clashes late on Saturday came after an evening candle-lit vigil.",
     "Clashes Come After Evening Candle-Lit Vigil"),
    # a passive "treated as" keeps what it is treated as; "a total of" keeps its count
    ("The fire is being treated as suspicious.", "Fire Treated as Suspicious"),
    ("The navy said the crew seized a total of 14 rifles.",
     "Navy Says Crew Seized Total of 14 Rifles"),
    # "leave" needs a complement only where the sentence gives one ("left three dead")
    ("Lindsay Lohan has left the Betty Ford Center.", "Lohan Leaves Betty Ford Center"),
    # a verdict keeps what it finds ("Found Guilty", never alone); a particle the parser
    # took for a preposition keeps its phrase (the demo's Lohan and LaCalamita pages)
    ("Anthony LaCalamita III was found guilty of first-degree murder and assault with "
     "intent to murder in the shotgun slaying of 63-year-old Madeline Kafoury.",
     "LaCalamita Found Guilty of First-Degree Murder"),
    ("The suspect was found dead in his cell.", "Suspect Found Dead in Cell"),
    # the active verdict, a small clause (the demo's Kraft page titled a section "Hiller")
    ("In the one-day, non-jury trial, Common Pleas Court judge Benjamin Lerner found Hiller "
     "guilty of two counts of first-degree murder and one count of attempted murder.",
     "Lerner Finds Hiller Guilty of Two Counts of First-Degree Murder"),
    ("Police found the man dead in his cell.", "Police Find Man Dead in Cell"),
    # a verb the parser gave two subjects takes the nearer (the demo's Vancouver page had
    # "Fanning Allege Opens Fire" from an outlet's "Constable Tim Fanning allege the … man
    # … opened fire")
    ("Constable Tim Fanning allege the recently-fired man, Eric Allen Kirkpatrick, 61, "
     "opened fire at a Vancouver office Friday, killing Benjamin David Banky, 40.",
     "Recently-Fired Man Opens Fire"),
    ("Lindsay Lohan has checked out of the Betty Ford Treatment Center in Palm Springs "
     "after completing a 30-day program, but she's not in the clear yet!",
     "Lohan Checks Out of Betty Ford Treatment Center"),
    # a name keeps every proper noun that modifies it, directly or through another
    ("The Los Angeles Angels, Baltimore Orioles and Washington Nationals also have made "
     "offers to Teixeira, but to date none of those offers are believed to be for more "
     "than eight years.", "Los Angeles Angels Make Offers"),
    ("Human Rights Watch says Turkmenistan made progress.",
     "Human Rights Watch Says Turkmenistan Made Progress"),
    # a person by surname, never by a generational suffix ("Police Say III Targeted …")
    ("Police said Anthony LaCalamita III, 38, targeted two managers.",
     "Police Say LaCalamita Targeted Two Managers"),
]

NONE = [
    # a pronoun subject, a copula, a bare reporting verb, a verb that needs its complement,
    # a number the trim would drop
    "He said the talks would go on.",
    # a stretch of time is no place ("Roads Closed for Time")
    "Roads around the area, including Banstead High Street itself, were closed for some "
    "time, but the spokeswoman said they were all reopened by 4.30pm on Saturday.",
    "The talks were tense and lasted six hours.",
    "Obama says for the first time.",
    "Obama's action puts the Bush regulation on hold.",
    "Turkmenistan's elections have 2.5 million eligible voters.",
    # a subordinate clause is no headline: it concedes what the sentence goes on to deny
    "Although Witkoff’s comments suggest progress, deep divisions remain.",
    # an accusation without its charge, a description without what it is described as
    "Ukraine accused Russia on Tuesday.",
    "Officials described the meeting.",
    "He was accused on Monday.",
    "The fire was treated by crews from three towns.",  # "Fire Treated"
    "Obama overturned an 11th hour Bush rule on Tuesday.",  # a time is no object
    # an object past a dash is a misparse ("Candidate Supports Official Claims" for one
    # "undermining official claims")
    "The only non-party candidate in the capital, Ashgabat, avidly supports Berdymukhamedov "
    "- undermining official claims the polls will offer a wide choice.",
    # "decided to try [and shed …]": the headline would stop before the news
    "Perpetual mess Tara Reid has finally decided to try and shed her drunk-girl image and "
    "has entered rehab.",
    # a negation inside the object: "a not guilty plea" is never "Enters Guilty Plea"
    "Mr Pitman, of High Street, Wellington, entered a not guilty plea at Taunton Deane "
    "Magistrates and was remanded in custody.",
    # "leave X dead", "keep X from …", an object that lost its own phrase ("Leaves Trail")
    "The blast left three people dead.",
    "Firefighters kept the fire from spreading to the warehouse.",
    "The quake left a trail of destruction in seven villages.",
    # "prevent X from doing": the headline would say the opposite
    "The rule change was designed to prevent the Endangered Species Act from being used "
    "to fight global warming.",
    "A judge blocked the law from taking effect.",
    # a measure is no place ("Johnson Hit at High Rate")
    "LuAnn Marie Johnson was hit at such a high rate of speed that her feet came out from "
    "under her.",
    # a claim its speaker qualifies with "but" is not told without it
    "New York-based Human Rights Watch said in an assessment last month that Turkmenistan "
    "had made \"some progress\" but \"remains... one of the most repressive and "
    "authoritarian states in the world.\"",
]


def test_lead_sentences_become_headlines(tagger: PhraseTagger) -> None:
    got = tagger.headlines([s for s, _ in HEADLINES])
    assert got == [h for _, h in HEADLINES]
    assert all(len(h.split()) <= MAX_HEADLINE_WORDS for h in got if h)


def test_no_headline_where_trimming_would_mislead(tagger: PhraseTagger) -> None:
    assert tagger.headlines(NONE) == [None] * len(NONE)


def test_an_opening_clause_without_a_verb_is_no_title(tagger: PhraseTagger) -> None:
    assert tagger.have_verbs(["The only non-party candidate in the capital",
                              "Greek police clashed with protesters in the capital"]) == \
        [False, True]
