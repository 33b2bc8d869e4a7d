"""What Arabic text is made of, in one place for every module that reads it: letters and scripts."""

from __future__ import annotations

import unicodedata


def dominant_script(text: str) -> str | None:
    """The Unicode script (first word of the character names: ARABIC, LATIN, CYRILLIC, CJK ...) of most of
    the letters; None when there are no letters."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None
