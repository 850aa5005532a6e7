"""Language knowledge every stage shares: the lexicon (stop words, months, agencies,
number words), the sentence splitter, the date parser, an article's lead text, wording
and JSON helpers."""
