"""Models over text: the sentence encoder, named entities and numbers, temporal
expressions, and the on-disk vector cache."""
