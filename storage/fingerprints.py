"""Text fingerprints: the same article's text reached by another URL (AMP, mobile host, no slug).

Nothing here touches the database: an extraction worker prepares an article's text and keys
(`prepare_text`) beside the crawl, so that the crawl's own thread does not.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from storage.text import clean_line, clean_text

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


def content_hash(title: str, body: str) -> str:
    """Whitespace- and case-insensitive hash of the text, to spot syndicated copies."""
    text = " ".join(f"{title}\n{body}".split()).casefold()  # str.split's white space is re's \s
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PreparedText:
    """An article's title and body cleaned for their columns, and the keys storage finds copies by."""

    title: str
    body: str
    content_hash: str
    text_fingerprint: str | None

    def of(self, title: str, body: str) -> bool:
        """Whether these are the keys of this title and body (the cleaned ones)."""
        return self.title == title and self.body == body


def prepare_text(title: str, body: str) -> PreparedText:
    title, body = clean_line(title), clean_text(body)
    return PreparedText(title, body, content_hash(title, body), text_fingerprint(body))
