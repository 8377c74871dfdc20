"""Text people type (names, answers): normalised to NFC, with hidden characters found and refused.

A hidden character prints as nothing, or changes how the text around it prints or reads back:
control characters (NUL, ESC …), invisible formatting characters (zero-width space U+200B, soft
hyphen U+00AD, byte order mark U+FEFF, the bidirectional embeddings, overrides and isolates
U+202A–U+202E and U+2066–U+2069, tags …), line and paragraph separators in one-line text, lone
surrogates, private-use and unassigned code points. Free text may hold tabs and line breaks.

The zero-width joiner and non-joiner (U+200D, U+200C) are refused too, though Persian and some
Indic spellings use them: they print as nothing, so the packet's text layer cannot show them and
the name on the page would no longer match the record. Without them the name prints joined.

>>> hidden_character("Ana\\u200bRuiz"), hidden_character("Zoë 김민준 محمد")
(True, False)
"""

from __future__ import annotations

import unicodedata

_LINE_BREAKS = frozenset("\t\n\r")


def nfc(text: str) -> str:
    """``text`` in Unicode normalisation form C (composed: "e" + U+0301 becomes "é")."""
    return unicodedata.normalize("NFC", text)


def hidden_character(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character that prints as nothing or changes how text reads.

    ``multiline`` allows tabs and line breaks (free text); spaces of any width are always allowed.
    """
    if text.isprintable():  # the fast path: every letter, mark, digit, symbol and plain space
        return False
    for char in text:
        if char.isprintable():
            continue
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) == "Zs":  # no-break, ideographic and other spaces
            continue
        return True
    return False
