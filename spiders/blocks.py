"""The text blocks of an article body, in reading order: what every adapter's body comes to."""

from __future__ import annotations

from lxml.html import HtmlElement

BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "section",
     "article", "table", "tr", "pre", "dl", "dt", "dd", "hr"}
)


def paragraphs(container: HtmlElement) -> list[str]:
    """Text blocks of a body, in order: <p> and other blocks, and bare text between <br>s.

    Kazakh Azattyq bodies after mid-2014 often have no <p> at all, only text and <br>,
    so the whole container is walked rather than its <p> children picked. Chrome is the
    caller's to drop first (spiders.adapters.base.pruned).
    """
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = " ".join("".join(buf).split())  # str.split's white space is re's \s
        if text:
            out.append(text)
        buf.clear()

    def walk(node: HtmlElement) -> None:
        if node.text:
            buf.append(node.text)
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "br":
                flush()
            elif tag in BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            elif tag:
                walk(child)
            if child.tail:
                buf.append(child.tail)

    walk(container)
    flush()
    return out
