"""Signals our components send, for the run recorder (spiders/recorder.py) to count and record.

Each is sent with `crawler.signals.send_catch_log(signal, **arguments)`:
- page_fetched(url: str, kind: PageKind, entry: bool): a page was fetched and read;
  entry: it is one of the source's configured URLs.
- url_failed(url: str, kind: str, message: str, entry: bool): a URL failed (kind as in events).
- article_stored(url: str, article_id: int | None): storage took an article (None: a duplicate).
- validators_seen(url: str, validators: storage.http_cache.Validators): a feed or sitemap
  came with an ETag or Last-Modified, to be saved if the run ends ok.
- withdraw_article(url: str, kind: str, message: str): a spider found out that a page it
  already handed to storage was not an article (a soft error page seen again elsewhere);
  the storage pipeline takes it back and reports the URL as failed.
- article_withdrawn(url: str, article_id: int): a stored article was taken back (deleted).
"""

page_fetched = object()
url_failed = object()
article_stored = object()
validators_seen = object()
withdraw_article = object()
article_withdrawn = object()
