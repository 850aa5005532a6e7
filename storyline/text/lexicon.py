"""English number words, shared by the stages that read figures in text (signals,
the verifier, temporal expressions, the writer's quantities)."""

from __future__ import annotations

__all__ = ["NUMBER_WORDS", "SMALL", "TENS"]

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
