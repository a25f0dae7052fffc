"""A small news site the evidence tests edit and take down while it is served (FixtureSite)."""

from __future__ import annotations

from pathlib import Path

import yaml

ARTICLES = ["gone", "edited", "same", "flaky", "moved", "renamed"]
EDITED_OLD = "The court refused to hear the appeal of the union leader on Tuesday."
EDITED_NEW = "The court agreed to hear the appeal of the union leader on Friday."

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>News</title><link>{{base}}/news/</link><description>n</description>
%s
</channel></rss>
"""
ITEM = """<item><title>%s</title><link>{{base}}/news/%s.html</link><guid>{{base}}/news/%s.html</guid>
<pubDate>{{date:%d:rfc822}}</pubDate></item>"""


def days_ago(slug: str) -> int:
    """Each report a few days from the others: six hearings, not one story told six times
    (a digest folds reports of one event, matching/stories.py)."""
    return 1 + 4 * ARTICLES.index(slug)


def page(slug: str, sentence: str | None = None) -> str:
    title = f"Amin Eleusinov case: {slug} report from Astana"
    lead = sentence if sentence is not None else (EDITED_OLD if slug == "edited" else
                                                  f"The {slug} hearing was adjourned again.")
    paragraphs = [
        f"Union leader Amin Eleusinov appeared before the court in Astana. {lead}",
        "Lawyers for the confederation said the case had been brought to silence independent unions. "
        "They asked the court to release him while the appeal was pending.",
        "Human-rights groups in Kazakhstan and abroad called for the charges to be dropped, "
        "and observers from several embassies attended the hearing.",
        f"The next hearing in the {slug} matter is set for next month, the court's press office said.",
    ]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{{{{date:{days_ago(slug)}:iso}}}}"></head>
<body><header><a href="/">Home</a></header><article><h1>{title}</h1>{body}</article>
<footer>News of the union</footer></body></html>
"""


def build(root: Path) -> Path:
    """Write the site under root; returns root (give it to FixtureSite(roots=(root,)))."""
    news = root / "news"
    news.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text("<html><head><title>News home</title></head><body><h1>Home</h1>"
                                     "<p>Latest news.</p></body></html>", encoding="utf-8")
    items = "\n".join(ITEM % (f"Amin Eleusinov case: {s}", s, s, days_ago(s)) for s in ARTICLES)
    (news / "feed.xml").write_text(FEED % items, encoding="utf-8")
    for slug in ARTICLES:
        (news / f"{slug}.html").write_text(page(slug), encoding="utf-8")
    return root


def config(tmp_path: Path, db_url: str, base_url: str, **evidence: object) -> Path:
    data = {
        "database": {"url": db_url},
        "crawl": {"per_host_delay": 0.0, "allow_private_networks": True, "timeout": 60.0},
        "watchlists": [{"id": "w", "entities": [{"id": "eleusinov", "name": "Amin Eleusinov"}]}],
        "admins": [{"id": "ops", "channels": [{"type": "file", "path": str(tmp_path / "admin")}]}],
        "subscribers": [{"id": "desk", "watchlists": ["w"], "timezone": "UTC",
                         "digest": {"max_age_days": 60},
                         "channels": [{"type": "file", "path": str(tmp_path / "out")}]}],
        "sources": [{"id": "news", "type": "feed", "url": f"{base_url}/news/feed.xml"}],
        "evidence": evidence,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
