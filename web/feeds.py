"""Atom feeds of matches, built with the standard library's XML writer (escaping done for us)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

NS = "http://www.w3.org/2005/Atom"


def _when(d: datetime | None) -> str:
    return (d or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")


def atom(title: str, self_url: str, base_url: str, results: list[dict[str, Any]], tag: str) -> bytes:
    ET.register_namespace("", NS)
    feed = ET.Element(f"{{{NS}}}feed")
    ET.SubElement(feed, f"{{{NS}}}title").text = title
    ET.SubElement(feed, f"{{{NS}}}id").text = f"tag:unionwatch,2026:{tag}"
    ET.SubElement(feed, f"{{{NS}}}link", rel="self", href=self_url)
    newest = max((r["a"].published_at for r in results if r["a"].published_at), default=None)
    ET.SubElement(feed, f"{{{NS}}}updated").text = _when(newest)
    for r in results:
        a = r["a"]
        entry = ET.SubElement(feed, f"{{{NS}}}entry")
        ET.SubElement(entry, f"{{{NS}}}title").text = a.title or a.url
        ET.SubElement(entry, f"{{{NS}}}id").text = f"tag:unionwatch,2026:article:{a.id}"
        ET.SubElement(entry, f"{{{NS}}}link", rel="alternate", href=f"{base_url}/a/{a.id}")
        if a.url.lower().startswith(("http://", "https://")):
            ET.SubElement(entry, f"{{{NS}}}link", rel="via", href=a.url)
        ET.SubElement(entry, f"{{{NS}}}updated").text = _when(a.published_at)
        ET.SubElement(entry, f"{{{NS}}}author").append(_name(a.source_id))
        ET.SubElement(entry, f"{{{NS}}}summary").text = r["snippet"].striptags()
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _name(text: str) -> ET.Element:
    el = ET.Element(f"{{{NS}}}name")
    el.text = text
    return el
