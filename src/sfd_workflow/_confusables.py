"""Look-alike ids: a small skeleton in the spirit of Unicode TR39 ("confusable detection").

TR39 calls two strings confusable when their *skeletons* are equal: each character replaced
by the prototype it looks like. The full table (confusables.txt, ~6,000 entries) is not
shipped, and the PyPI packages that carry it give pairwise heuristics rather than skeletons,
so this module keeps a small table of the look-alikes that matter for ids typed in Latin,
Cyrillic, Greek and CJK text:

- compatibility forms (full-width ``ａ``, ligatures, circled digits) fold by NFKD;
- Cyrillic and Greek letters drawn like Latin ones (``а`` ``е`` ``о`` ``р`` ``с`` ``х``
  ``А`` ``В`` ``Е`` ``К`` ``М`` ``Н`` ``О`` ``Р`` ``С`` ``Т`` ``Х``, ``ο`` ``ν`` ``ρ`` ``Α``
  ``Β`` ``Ε`` ``Η`` ``Ι`` ``Κ`` ``Μ`` ``Ν`` ``Ο`` ``Ρ`` ``Τ`` ``Υ`` ``Χ`` ``Ζ`` …);
- ``0``/``O``, ``1``/``l``/``I``/``|``, ``rn``/``m`` and the dashes ``‐ ‑ ‒ – — −`` / ``-``;
- CJK: the ideograph ``一`` and the long-vowel mark ``ー``, the Kangxi radicals (NFKD).

It finds the common spoofs and typing slips; it is not the whole of TR39.
"""

from __future__ import annotations

import unicodedata

__all__ = ["skeleton"]

_GROUPS = {
    "a": "аα", "c": "сϲ", "d": "ԁ", "e": "е", "h": "һ", "i": "іι", "j": "ј", "o": "оοσ",
    "p": "рρ", "q": "ԛ", "s": "ѕ", "u": "υ", "v": "νѵ", "w": "ԝ", "x": "хχ", "y": "уγ",
    "g": "ɡ", "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "J": "Ј", "K": "КΚ",
    "M": "МΜ", "N": "Ν", "O": "ОΟ0", "P": "РΡ", "S": "Ѕ", "T": "ТΤ", "X": "ХΧ",
    "Y": "ΥҮ", "Z": "Ζ", "l": "1I|ǀІΙӏ", "-": "\u2010\u2011\u2012\u2013\u2014\u2212",
    "rn": "m", "\u4e00": "\u30fc",
}
_TABLE = {ord(ch): proto for proto, chars in _GROUPS.items() for ch in chars}


def skeleton(text: str) -> str:
    """The skeleton of `text`: two ids with equal skeletons look alike."""
    return unicodedata.normalize("NFKD", text).translate(_TABLE)
