"""English language knowledge every stage shares, in one place (after spaCy's
``lang/en/stop_words.py`` and ``lex_attrs.py``): number words, stop words, calendar
names, news agencies and the ``wordset`` helper the lists are written with.

Stop words are one base list, :data:`FUNCTION_WORDS`, plus named additions, each a
different kind of word (reporting verbs, honorifics, news filler...). A stage composes
the set it needs from these parts and says why; no stage keeps a list of its own.
"""

from __future__ import annotations

__all__ = [
    "AGENCIES",
    "AGENCY_CREDITS",
    "CONTRACTION_PIECES",
    "EVENT_NEUTRAL_WORDS",
    "FACT_STOP_WORDS",
    "FUNCTION_WORDS",
    "HONORIFICS",
    "MONTHS",
    "MONTH_ABBREVIATIONS",
    "MONTH_NAMES",
    "MONTH_NUMBERS",
    "MORE_FUNCTION_WORDS",
    "NEWSROOM_TAGS",
    "NEWS_FILLER",
    "NUMBER_WORDS",
    "PAGE_METRIC_STOP_WORDS",
    "PHRASE_BREAKS",
    "REPORTING_VERBS",
    "SENTENCE_OPENERS",
    "SMALL",
    "TENS",
    "WEEKDAYS",
    "WIRE_SERVICES",
    "wordset",
]


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block."""
    return frozenset(text.split())


# ------------------------------------------------------------------------ numbers
SMALL: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20,
}
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
NUMBER_WORDS: dict[str, int] = {**SMALL, **TENS, "hundred": 100, "dozen": 12}

# ------------------------------------------------------------------------ stop words
# The base list: English function words (pronouns, determiners, prepositions,
# conjunctions, auxiliaries and a few adverbs), lower case.
FUNCTION_WORDS = wordset("""
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
few for from further had has have having he her here hers herself him himself his how
i if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your
yours yourself yourselves
""")
# Function words the base leaves out: modal verbs, "us", "amid", "per".
MORE_FUNCTION_WORDS = wordset("may might must shall us amid per")
# What is left of a contraction split at its apostrophe ("don't" -> "don", "t";
# "it's" -> "it", "s").
CONTRACTION_PIECES = wordset("don s t")
# How news attributes a statement: "said", "told", "according to".
REPORTING_VERBS = wordset("say says said told according")
# Titles before a name ("Mr Smith", "Dr. Jones"), without their dot.
HONORIFICS = wordset("mr mrs ms dr")
# Words in nearly every news text, whatever it is about: small counts and ordinals,
# calendar units, light verbs.
NEWS_FILLER = wordset("""
new one two first last day days week year years like get got make made via
""")
# More words that reports of any event share, so that they tell no two events apart.
EVENT_NEUTRAL_WORDS = wordset("""
news report reports reported three weeks month months time people still many much even
back well
""")
# What is no content word when the writer asks whether two sentences state one fact
# (storyline.write.factgroups): function words, modal verbs, contraction pieces and the
# reporting verbs every report of anything has ("said", "told").
FACT_STOP_WORDS = FUNCTION_WORDS | MORE_FUNCTION_WORDS | CONTRACTION_PIECES | REPORTING_VERBS
# The page scorer's stop list (storyline.evaluate.pages, as the project's reference page
# scorer has it): a fixed, short list of function words and reporting verbs, narrower than
# FACT_STOP_WORDS, kept as it is so that the page counts stay comparable over time.
PAGE_METRIC_STOP_WORDS = wordset("""
a an the of to in on for and or but with by at from as is are was were be been has have
had that this these those it its he she they his her their we our you your i not no will
would said says say
""")
# Words that end a counted phrase after a number ("12 people [were] killed", "6 hours
# [of] talks"): function words, auxiliaries and reporting verbs that cannot be counted.
PHRASE_BREAKS = wordset("""
a an the and or but of to in on at for by with from as than that which who whom whose
per over under into after before during since until while when where were was are is
be been being have had has will would could should may might can said says say also
more less fewer other others out among about around than then there their its his her
""")
# Function words that often open a sentence and so are capitalised without being a name.
SENTENCE_OPENERS = wordset("""
the a an and but or in on at to of for by with from as it he she they we i you this that
these those his her their its our
""")

# ------------------------------------------------------------------------ calendar
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
# The three-letter abbreviations, as written in a date ("18 Feb 2026").
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                       "Nov", "Dec")
# Month number by the first three letters of any spelling ("sept", "February" -> [:3]).
MONTH_NUMBERS: dict[str, int] = {m.lower(): i for i, m in enumerate(MONTH_ABBREVIATIONS, 1)}
# Every spelling of a month name as a word, lower case: full, abbreviated, "sept".
MONTH_NAMES = frozenset(MONTHS) | frozenset(MONTH_NUMBERS) | {"sept"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# ------------------------------------------------------------------------ news agencies
# Agency names a credit line may consist of ("AFP", "(Reuters)", "— Anadolu Agency"):
# written name (lower case) -> display name.
AGENCY_CREDITS: dict[str, str] = {
    "afp": "AFP",
    "reuters": "Reuters",
    "ap": "AP",
    "associated press": "AP",
    "anadolu": "Anadolu Agency",
    "anadolu agency": "Anadolu Agency",
    "aa": "Anadolu Agency",
    "dpa": "dpa",
    "xinhua": "Xinhua",
    "efe": "EFE",
    "ansa": "ANSA",
    "pti": "PTI",
    "ani": "ANI",
    "ians": "IANS",
    "tass": "TASS",
}
# Every agency name known in datelines, bylines and image credits: the credit names,
# the long forms and more agencies.
AGENCIES: dict[str, str] = {
    **AGENCY_CREDITS,
    "agence france-presse": "AFP",
    "the associated press": "AP",
    "kyodo": "Kyodo",
    "yonhap": "Yonhap",
    "bloomberg": "Bloomberg",
    "app": "APP",
    "wam": "WAM",
    "irna": "IRNA",
}
# Names a newsroom tags its datelines with besides the agencies' ("Washington (CNN) -",
# "(CNN Business)"): broadcasters and networks.
NEWSROOM_TAGS = frozenset({
    "CNN", "CNN Business", "CNN Money", "CNNMoney", "CNN Politics", "CNBC", "BBC", "BBC News",
    "NPR", "CBS", "CBS News", "NBC", "NBC News", "ABC", "ABC News", "Fox News", "UPI",
    "MarketWatch", "Sky News", "Al Jazeera", "AP Photo", "Reuters Health",
} | set(AGENCIES.values()))
# The global wire services, as their names stand in a byline.
WIRE_SERVICES = wordset("reuters ap afp")
