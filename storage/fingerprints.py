"""Text fingerprints: the same article's text reached by another URL (AMP, mobile host, no slug)."""

from __future__ import annotations

import hashlib
import re

_WORD = re.compile(r"\w+")
# A paragraph this long is the article's own prose; shorter lines are where the AMP, mobile and
# desktop templates of one article differ (captions, "read more", share buttons, datelines).
MIN_PARAGRAPH = 80
# Below this many characters of such prose there is no fingerprint: short items (a photo's
# caption, a one-line notice) are too alike to be told apart by their text.
MIN_TEXT = 400


def text_fingerprint(body: str) -> str | None:
    """A hash of the article's long paragraphs, in order, letters and digits only, case-folded.

    An update that adds or rewrites a long paragraph changes it: an article reported anew is
    never taken for a copy. None when there is too little prose to tell.
    """
    prose = " ".join(p for p in body.split("\n") if len(p.strip()) >= MIN_PARAGRAPH)
    words = " ".join(_WORD.findall(prose.casefold()))
    if len(words) < MIN_TEXT:
        return None
    return hashlib.sha256(words.encode("utf-8")).hexdigest()
