"""Language knowledge every stage shares: the lexicon (stop words, months, agencies,
number words), the sentence splitter, the date parser, wording and JSON helpers."""
