"""Fault routes under /faults/, served from code: what real servers do to crawlers.

Every route is listed in tests/support/README.md. The expected decoded texts of the
encoding cases are in ENCODING_CASES, so tests compare against one source of truth.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.fixture_site import _Handler

RU_TITLE = "Лариса Харькова и Амин Елеусинов: «профсоюз» — Акжанат"
RU_BODY = (
    "Президент конфедерации Лариса Харькова заявила, что профсоюз будет обжаловать решение. "
    "Амин Елеусинов и Нурбек Кушакбаев осуждены в Астане; ЁЛКА, ёлка, «кавычки» — тире."
)
# KOI8-R has no guillemets or dashes.
RU_TITLE_PLAIN = "Лариса Харькова и Амин Елеусинов: профсоюз - Акжанат"
RU_BODY_PLAIN = RU_BODY.replace("«", '"').replace("»", '"').replace("—", "-")
KK_TITLE = "Әмин Елеусінов пен Нұрбек Құшақбаев туралы мәлімдеме"
KK_BODY = (
    "Құқық қорғаушылар кәсіподақ жетекшілерін босатуға шақырды. Қазақ әріптері: "
    "ә ғ қ ң ө ұ ү һ і, Ә Ғ Қ Ң Ө Ұ Ү Һ І."
)


@dataclass(frozen=True, slots=True)
class EncodingCase:
    title: str
    body: str
    encoding: str  # how the bytes are written
    header_charset: str | None  # what Content-Type claims (None: no charset)
    meta_charset: str | None = None  # <meta charset> in the page
    bom: bool = False
    minimal: bool = False  # a fragment with no <html> wrapper, as some CMS error pages are


ENCODING_CASES: dict[str, EncodingCase] = {
    "cp1251-nocharset": EncodingCase(RU_TITLE, RU_BODY, "cp1251", None),
    "koi8r-nocharset": EncodingCase(RU_TITLE_PLAIN, RU_BODY_PLAIN, "koi8_r", None),
    "cp1251-header-utf8": EncodingCase(RU_TITLE, RU_BODY, "cp1251", "utf-8"),
    "utf8-kk-header-cp1251": EncodingCase(KK_TITLE, KK_BODY, "utf-8", "windows-1251"),
    "cp1251-meta-only": EncodingCase(
        RU_TITLE, RU_BODY, "cp1251", None, meta_charset="windows-1251"
    ),
    "utf8-bom-header-cp1251": EncodingCase(KK_TITLE, KK_BODY, "utf-8", "windows-1251", bom=True),
    "kz1048-nocharset": EncodingCase(KK_TITLE, KK_BODY, "kz1048", None),
    # Short pages: too little text for charset-normalizer, which Scrapy 2.19 asks when
    # ascii and utf-8 fail (it answers shift_jis or cp1125 here).
    "cp1251-short-nocharset": EncodingCase(
        "Акжанат", "Президент и Лариса Харькова", "cp1251", None, minimal=True
    ),
    "koi8r-short-nocharset": EncodingCase(
        "Новости", "Суд в Астане. Амин Елеусинов.", "koi8_r", None, minimal=True
    ),
    "utf8-kk-meta-koi8r": EncodingCase(KK_TITLE, KK_BODY, "utf-8", None, meta_charset="koi8-r"),
}


def encoding_page(case: EncodingCase) -> bytes:
    meta = f'<meta charset="{case.meta_charset}">' if case.meta_charset else ""
    if case.minimal:
        return f"<title>{case.title}</title><h1>{case.title}</h1><p>{case.body}</p>".encode(
            case.encoding
        )
    html = (
        f"<!DOCTYPE html><html><head>{meta}<title>{case.title}</title></head><body>"
        f"<article><h1>{case.title}</h1><p>{case.body}</p><p>{case.body}</p></article>"
        "</body></html>"
    )
    data = html.encode(case.encoding)
    return (b"\xef\xbb\xbf" + data) if case.bom else data


# Malformed HTML cases: each must give a title or a recorded "parse" error, never a crash.
def _malformed() -> dict[str, bytes]:
    para = "<p>Амин Елеусинов и Нурбек Кушакбаев: текст статьи о профсоюзах и судах.</p>" * 3
    deep = "<div>" * 300 + para + "</div>" * 300
    head = "<html><head><title>{}</title></head><body>"
    return {
        "nul-bytes": (head.format("NUL") + f"<h1>Нулевые\x00 байты</h1>{para}\x00{para}"
                      "</body></html>").encode(),
        "unclosed": f"<html><head><title>Unclosed<body><h1>Незакрытые теги<p>{para}<div><span>"
        .encode(),
        "bare-lt": (head.format("Bare") + "<h1>Меньше < больше</h1>"
                    f"<p>если a < b и b > c, то {para}</p></body></html>").encode(),
        "deep-nesting": (head.format("Deep") + f"<h1>Глубокая вложенность</h1>{deep}</body></html>")
        .encode(),
        "no-body": b"<html><head><title></title></head><body></body></html>",
        # Markup and script in title and body: only text may be stored.
        "script-markup": (
            "<html><head><title>Скрипт <b>жирный</b></title>"
            "</head><body><article><h1>Заголовок</h1>"
            '<p>Первый абзац <b>жирный</b> <a href="javascript:alert(1)">ссылка</a>.</p>'
            "<script>alert('xss')</script><img src=x onerror=alert(2)>"
            f"{para}<p>Текст &lt;b&gt;экранирован&lt;/b&gt; в исходнике.</p></article></body></html>"
        ).encode(),
        "binary": bytes(range(256)) * 20,
    }


MALFORMED = _malformed()

_FEED_HEAD = (
    '<?xml version="1.0" encoding="{enc}"?>\n<rss version="2.0"><channel><title>{title}</title>'
    "<link>{base}/</link><description>fault feed</description>\n"
)


def _items(base: str, paths: list[tuple[str, str]]) -> str:
    return "".join(
        f"<item><title>{t}</title><link>{base}{p}</link><guid>{base}{p}</guid>"
        "<pubDate>Tue, 23 May 2017 11:30:00 GMT</pubDate></item>\n"
        for p, t in paths
    )


# /faults/feed/hostile: HOSTILE_COUNT articles at /faults/article/<i>, a few of them hostile.
HOSTILE_COUNT = 30
HOSTILE_SURROGATE = 7  # a lone surrogate (\ud800) in the JSON-LD headline
HOSTILE_NUL = 13  # NUL in the JSON-LD headline and author, and in the page
HOSTILE_LONG_GUID = 21  # the feed's guid for it is 600 characters long
POISON = 4  # titled "Poison pill": a test's database trigger refuses this one row
LONG_GUID = "urn:unionwatch:hostile:" + "g" * 577


def hostile_article(i: int) -> bytes:
    """An article page of its own text; the hostile ones carry escapes that JSON turns into
    a lone surrogate or NUL (json.loads accepts both)."""
    headline = "Poison pill" if i == POISON else f"Профсоюз: статья номер {i}"
    author = "Ivan Petrov"
    if i == HOSTILE_SURROGATE:
        headline += " \\ud800 суррогат"
    if i == HOSTILE_NUL:
        headline += " \\u0000 нуль"
        author = "Ivan\\u0000 Petrov"
    ld = (f'{{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "{headline}", '
          f'"author": {{"@type": "Person", "name": "{author}"}}}}')
    text = (f"<p>Статья {i}: лидеры профсоюза {i} рассказали суду о давлении и угрозах, "
            f"которые они получали в течение {i + 2} месяцев подряд.</p>"
            f"<p>Свидетель номер {i} подтвердил показания, а защита попросила отложить "
            f"заседание до {i + 10} числа.</p>")
    nul = "\x00" if i == HOSTILE_NUL else ""
    return (f'<html lang="ru"><head><title>Статья {i}{nul}</title>'
            f'<script type="application/ld+json">{ld}</script></head>'
            f"<body><article><h1>Статья {i}</h1>{text}{nul}{text}</article></body></html>").encode()


def hostile_feed(base: str) -> bytes:
    items = []
    for i in range(1, HOSTILE_COUNT + 1):
        guid = LONG_GUID if i == HOSTILE_LONG_GUID else f"urn:unionwatch:hostile:{i}"
        title = "Poison pill" if i == POISON else f"Профсоюз: статья номер {i}"
        items.append(f"<item><title>{title}</title><link>{base}/faults/article/{i}</link>"
                     f'<guid isPermaLink="false">{guid}</guid></item>\n')
    return (_FEED_HEAD.format(enc="utf-8", title="Hostile", base=base) + "".join(items)
            + "</channel></rss>").encode()


# /faults/feed/soft-errors: links to /faults/flaky/<i>, which serve an error page with
# HTTP 200 on their first hit (of the kind named here) and the article from then on.
FLAKY: dict[int, tuple[str, str]] = {
    1: ("nginx", "Суд оставил в силе решение по иску против Ларисы Харьковой"),
    2: ("nginx", "Амина Елеусинова освободили условно-досрочно"),
    3: ("ru", "Профсоюз обжалует приговор в Верховном суде"),
    4: ("kk", "Құқық қорғаушылар кәсіподақ жетекшілерін қорғады"),
    5: ("wall", "Нурбек Кушакбаев вышел на свободу"),
    6: ("wall", "Конфедерацию независимых профсоюзов ликвидировали"),
    7: ("front", "Забастовка нефтяников в Жанаозене продолжается"),
}
# Real news about outages: error words in the title, and still articles.
OUTAGE_BRIEFS: dict[int, tuple[bool, str]] = {  # i -> (the page dates itself, title)
    8: (True, "Сервис eGov временно недоступен"),
    9: (False, "Kaspi.kz временно недоступен"),
}
ERROR_PAGES = {
    "nginx": "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
             "<h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>",
    # Pangea-like chrome; the footer's year is all a date guesser finds.
    "ru": '<html lang="ru"><head><title>Сервис временно недоступен</title></head><body><nav>'
          '<a href="/">Главная</a> <a href="/news">Новости</a></nav><main><h1>Сервис временно недоступен'
          "</h1><p>Пожалуйста, попробуйте позже.</p></main><footer><p>© 2024 RFE/RL, Inc.</p></footer>"
          "</body></html>",
    "kk": '<html lang="kk"><head><title>Қызмет уақытша қолжетімсіз | Азаттық радиосы</title></head>'
          "<body><h1>Қызмет уақытша қолжетімсіз</h1><p>Кейінірек қайталап көріңіз.</p>"
          "<footer>© 2023 Азаттық радиосы</footer></body></html>",
    # A long consent wall, no error words: only seeing it at two links gives it away.
    "wall": '<html lang="ru"><head><title>Радио Азаттык</title></head><body><main><h1>Радио Азаттык'
            "</h1>" + "".join(
                f"<p>Раздел {n} политики конфиденциальности. Мы используем файлы cookie и похожие "
                "технологии, чтобы сайт работал лучше, чтобы измерять посещаемость и показывать "
                "материалы, которые могут быть вам интересны. Нажмите «Принять», чтобы продолжить "
                "чтение, или настройте параметры в любое время в нижней части страницы.</p>"
                for n in range(1, 6)) + "</main></body></html>",
    "front": '<html lang="ru"><head><title>Главная</title></head><body><main><h1>Главная</h1>'
             "<p>Политика. Экономика. Общество. Культура. Спорт. Мнения. Видео. Фотогалереи.</p>"
             "</main></body></html>",
}


def flaky_article(i: int, title: str, dated: bool = True) -> bytes:
    """The article a flaky link stands for: its own text on the feed's title."""
    date = ('<script type="application/ld+json">{"@type": "NewsArticle", '
            '"datePublished": "2017-05-23T11:30:00Z"}</script>') if dated else ""
    text = (f"<p>{title}. Об этом сообщили правозащитники; материал номер {i} подготовлен "
            f"по итогам {i + 3} заседаний суда.</p>")
    return (f'<html lang="ru"><head><title>{title}</title>{date}</head><body><article>'
            f"<h1>{title}</h1>{text}</article></body></html>").encode()


def soft_errors_feed(base: str) -> bytes:
    items = [(f"/faults/flaky/{i}", title) for i, (_, title) in FLAKY.items()]
    items += [(f"/faults/outage/{i}", title) for i, (_, title) in OUTAGE_BRIEFS.items()]
    items += [("/rus-azattyq/a/29700843.html", "Суд оставил в силе решение по иску против Харьковой"),
              ("/rferl/a/29220970.html", "Kazakh Union Leader Released On Parole")]
    return (_FEED_HEAD.format(enc="utf-8", title="Soft errors", base=base) + _items(base, items)
            + "</channel></rss>").encode()


# /faults/feed/evidence links these; /faults/encoded/<how>/<path> serves <path>'s file
# gzip-encoded (Content-Encoding: gzip, gzip.compress(mtime=0)) or with chunked transfer.
EVIDENCE_PATHS = ("/rferl/a/29220970.html", "/faults/encoded/gzip/rferl/a/28490992.html",
                  "/faults/encoded/chunked/azattyq/a/28652001.html")


def encoded(how: str, body: bytes) -> bytes:
    """What /faults/encoded/<how>/... puts on the wire as the payload (chunking aside)."""
    return gzip.compress(body, mtime=0) if how == "gzip" else body


def feeds(base: str) -> dict[str, tuple[bytes, str]]:
    """Fault feeds: name -> (body, content type)."""
    rss = "application/rss+xml"
    good = [
        ("/rus-azattyq/a/29700843.html", "Харькова"),
        ("/rferl/a/29220970.html", "Parole"),
        ("/azattyq/a/28652001.html", "Харькова"),
    ]
    full = _FEED_HEAD.format(enc="utf-8", title="Truncated", base=base) + _items(base, good)
    cut = full.encode()[: full.encode().index(b"/rferl/a/29220970.html") + 40]
    ru_items = _items(base, [("/rus-azattyq/a/29700843.html", "Суд оставил в силе решение"),
                             ("/vestnik/doc/7715101", "Лидер профсоюзной конфедерации")])
    wrong = (_FEED_HEAD.format(enc="utf-8", title="Вестник", base=base) + ru_items
             + "</channel></rss>").encode("cp1251")
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    laughs = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">{lol}]>'
              "<rss version=\"2.0\"><channel><title>&lol9;</title>"
              f"<item><title>&lol9;</title><link>{base}/rferl/a/29220970.html</link></item>"
              "</channel></rss>")

    def xxe(target: str) -> bytes:
        return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target}">]>'
                "<rss version=\"2.0\"><channel><title>&xxe;</title>"
                f"<item><title>&xxe;</title><link>{base}/rferl/a/29220970.html</link></item>"
                "</channel></rss>").encode()

    external_dtd = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{base}/faults/dtd-target">'
        + "<rss version=\"2.0\"><channel><title>DTD</title>"
        + _items(base, [("/rferl/a/29220970.html", "Parole")]) + "</channel></rss>"
    ).encode()
    robots = (_FEED_HEAD.format(enc="utf-8", title="Robots", base=base)
              + _items(base, [("/private/a/1.html", "Forbidden"),
                              ("/rferl/a/28490992.html", "Allowed")])
              + "</channel></rss>").encode()
    # Redirects to private addresses are refused only with private networks off, and then
    # this loopback server is refused too: tests/spiders/test_ssrf.py covers that case.
    private = (_FEED_HEAD.format(enc="utf-8", title="Redirects", base=base)
               + _items(base, [
                   ("/faults/redirect?to=file:///etc/passwd", "file"),
                   ("/faults/redirect-loop/0", "loop"),
               ]) + "</channel></rss>").encode()
    errors = (_FEED_HEAD.format(enc="utf-8", title="Errors", base=base)
              + _items(base, [("/faults/status/404", "gone"), ("/faults/status/503", "down"),
                              ("/rferl/a/29220970.html", "fine")])
              + "</channel></rss>").encode()
    # One entry's guid holds a character reference XML forbids (a lone surrogate), another
    # title a NUL reference: the entries are still articles, and the others are untouched.
    charref = (_FEED_HEAD.format(enc="utf-8", title="Charrefs", base=base)
               + f"<item><title>Parole</title><link>{base}/rferl/a/29220970.html</link>"
               "<guid isPermaLink=\"false\">rferl-29220970-&#xD800;</guid></item>\n"
               f"<item><title>Суд&#0; оставил</title><link>{base}/rus-azattyq/a/29700843.html</link>"
               "<guid isPermaLink=\"false\">ra-29700843</guid></item>\n"
               + _items(base, [("/azattyq/a/28652001.html", "Харькова")])
               + "</channel></rss>").encode()
    # Links no client can fetch: each costs only its own entry.
    bad_links = (_FEED_HEAD.format(enc="utf-8", title="Bad links", base=base)
                 + _items(base, [("/rferl/a/28490992.html", "fine")])
                 + "<item><title>IPv6</title><link>http://[oops/a/1.html</link></item>\n"
                 + "<item><title>Port</title><link>http://127.0.0.1:99999/a/2.html</link></item>\n"
                 + _items(base, [("/vestnik/doc/7715101", "fine too")])
                 + "</channel></rss>").encode()
    # Links with long queries (a list of ids): 3,000 characters (fetched; Scrapy's default limit of
    # 2,083 dropped it with an INFO line) and 9,000 (more than servers take: reported).
    long_links = (_FEED_HEAD.format(enc="utf-8", title="Long links", base=base)
                  + _items(base, [("/rferl/a/28490992.html?ids=" + "1" * 3000, "long"),
                                  ("/vestnik/doc/7715101?ids=" + "2" * 9000, "too long")])
                  + "</channel></rss>").encode()
    # Evidence capture: one article as is, one gzip-encoded on the wire, one sent chunked.
    evidence = (_FEED_HEAD.format(enc="utf-8", title="Evidence", base=base)
                + _items(base, [(p, "evidence") for p in EVIDENCE_PATHS]) + "</channel></rss>").encode()
    # A page within max_page_bytes that takes extraction many seconds (tens of thousands of
    # nested blocks), between two ordinary articles: with a short extract_timeout it is a
    # parse error of its own and the others are stored.
    slow_to_read = (_FEED_HEAD.format(enc="utf-8", title="Slow to read", base=base)
                    + _items(base, [("/rferl/a/29220970.html", "Parole"),
                                    ("/faults/slow-to-read", "Huge"),
                                    ("/rferl/a/28490992.html", "fine")])
                    + "</channel></rss>").encode()
    return {
        "evidence": (evidence, rss),
        "slow-to-read": (slow_to_read, rss),
        "soft-errors": (soft_errors_feed(base), rss),
        "hostile": (hostile_feed(base), rss),
        "charref-guid": (charref, rss),
        "bad-links": (bad_links, rss),
        "long-links": (long_links, rss),
        "invalid-url": (b"Invalid url", "text/html; charset=utf-8"),
        "html": (b"<!DOCTYPE html><html><head><title>Not a feed</title></head>"
                 b"<body>Hi</body></html>", "text/html; charset=utf-8"),
        "truncated": (cut, rss),
        "cp1251-declared-utf8": (wrong, rss),
        "billion-laughs": (laughs.encode(), rss),
        "xxe-file": (xxe("file:///etc/passwd"), rss),
        "xxe-http": (xxe(f"{base}/faults/xxe-target"), rss),
        "external-dtd": (external_dtd, rss),
        "robots": (robots, rss),
        "redirects": (private, rss),
        "errors": (errors, rss),
    }


_BOMB: dict[str, bytes] = {}
_BOMB_LOCK = threading.Lock()
BOMB_DECOMPRESSED = 50 * 1024 * 1024


def gzip_bomb() -> bytes:
    """50 MiB of zeros as a ~50 KB gzip body (built once)."""
    with _BOMB_LOCK:
        if "gz" not in _BOMB:
            _BOMB["gz"] = gzip.compress(b"\0" * BOMB_DECOMPRESSED, compresslevel=9, mtime=0)
        return _BOMB["gz"]


def slow_to_read_page() -> bytes:
    """~6 MB of article in 40,000 table-wrapped paragraphs (built once): seconds to extract."""
    with _BOMB_LOCK:
        if "slow" not in _BOMB:
            paras = "".join(f"<div><table><tr><td><p>Paragraph {i} about the union and the court, "
                            "with words enough to be prose, again and again.</p></td></tr></table></div>"
                            for i in range(40_000))
            _BOMB["slow"] = (f"<html><head><title>Huge</title></head><body><article><h1>Huge</h1>"
                             f"{paras}</article></body></html>").encode()
        return _BOMB["slow"]


def _sleep(handler: _Handler, seconds: float) -> None:
    handler.site.stopping.wait(seconds)


def handle(h: _Handler, path: str, query: dict[str, list[str]]) -> None:
    base = h.site.base_url
    parts = path.split("/")[2:]  # after "/faults/"
    name = parts[0] if parts else ""
    arg = parts[1] if len(parts) > 1 else ""
    if name == "status" and arg.isdigit():
        headers = {}
        if "retry_after" in query:
            headers["Retry-After"] = query["retry_after"][0]
        h.send_bytes(int(arg), f"<html><body>status {arg}</body></html>".encode(), "text/html",
                     headers)
    elif name == "slow":
        _sleep(h, float(arg or "1"))
        h.send_bytes(200, b"<html><head><title>Slow</title></head><body><h1>Slow</h1>"
                     b"<p>A slow page that arrives in the end, long enough to be a body.</p>"
                     b"</body></html>", "text/html; charset=utf-8")
    elif name == "stall":
        # Headers and a few bytes, then nothing: the client must time out.
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"<html><body>")
        h.wfile.flush()
        _sleep(h, float(arg or "30"))
        h.close_connection = True
    elif name == "drop":
        # Promise 100 kB, send 1 kB, hang up: a data loss.
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"<html><body>" + b"x" * 1000)
        h.wfile.flush()
        h.close_connection = True
    elif name == "redirect-loop":
        n = int(arg or "0")
        h.send_bytes(302, b"", "text/html", {"Location": f"/faults/redirect-loop/{n + 1}"})
    elif name == "redirect":
        h.send_bytes(302, b"", "text/html", {"Location": query.get("to", ["/"])[0]})
    elif name == "huge":
        size = int(float(query.get("mb", ["50"])[0]) * 1024 * 1024)
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        chunk = b"<p>" + b"a" * 65530 + b"</p>"
        sent = 0
        while sent < size and not h.site.stopping.is_set():
            piece = chunk[: size - sent]
            h.wfile.write(piece)
            sent += len(piece)
    elif name == "bomb.html":
        body = gzip_bomb()
        h.send_bytes(200, body, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
    elif name == "enc" and arg in ENCODING_CASES:
        case = ENCODING_CASES[arg]
        ctype = "text/html" + (f"; charset={case.header_charset}" if case.header_charset else "")
        h.send_bytes(200, encoding_page(case), ctype)
    elif name == "enc" and arg in ("", "index.html"):
        links = "".join(
            f'<li><a class="case" href="/faults/enc/{c}">{c}</a></li>' for c in ENCODING_CASES
        )
        h.send_bytes(200, f"<html><body><ul>{links}</ul></body></html>".encode(),
                     "text/html; charset=utf-8")
    elif name == "html" and arg in MALFORMED:
        ctype = "image/png" if arg == "binary" else "text/html; charset=utf-8"
        h.send_bytes(200, MALFORMED[arg], ctype)
    elif name == "html" and arg in ("", "index.html"):
        links = "".join(
            f'<li><a class="case" href="/faults/html/{c}">{c}</a></li>' for c in MALFORMED
        )
        h.send_bytes(200, f"<html><body><ul>{links}</ul></body></html>".encode(),
                     "text/html; charset=utf-8")
    elif name == "encoded" and arg in ("gzip", "chunked"):
        found = h.site.content("/" + "/".join(parts[2:]), query)
        if found is None:
            h.send_bytes(404, b"<html><body>no such file</body></html>", "text/html")
            return
        body, ctype = found
        if arg == "gzip":
            h.send_bytes(200, encoded(arg, body), ctype, {"Content-Encoding": "gzip"})
            return
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for i in range(0, len(body), 1000):
            piece = body[i:i + 1000]
            h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")
    elif name == "slow-to-read":
        h.send_bytes(200, slow_to_read_page(), "text/html; charset=utf-8")
    elif name == "feed" and arg in (table := feeds(base)):
        body, ctype = table[arg]
        h.send_bytes(200, body, ctype)
    elif name == "flaky" and arg.isdigit() and int(arg) in FLAKY:
        kind, title = FLAKY[int(arg)]
        failing = h.site.hits(path) <= int(query.get("fail", ["1"])[0])
        body = ERROR_PAGES[kind].encode() if failing else flaky_article(int(arg), title)
        h.send_bytes(200, body, "text/html; charset=utf-8")
    elif name == "outage" and arg.isdigit() and int(arg) in OUTAGE_BRIEFS:
        dated, title = OUTAGE_BRIEFS[int(arg)]
        h.send_bytes(200, flaky_article(int(arg), title, dated), "text/html; charset=utf-8")
    elif name == "article" and arg.isdigit():
        h.send_bytes(200, hostile_article(int(arg)), "text/html; charset=utf-8")
    elif name == "listing":
        # A listing of `n` links to /faults/slow/0 variants, to watch politeness.
        n = int(query.get("n", ["5"])[0])
        start = int(query.get("start", ["0"])[0])
        sleep = f"?sleep={query['sleep'][0]}" if "sleep" in query else ""
        links = "".join(
            f'<a class="item" href="/faults/page/{i}{sleep}">{i}</a>'
            for i in range(start, start + n)
        )
        h.send_bytes(200, f"<html><body>{links}</body></html>".encode(), "text/html; charset=utf-8")
    elif name == "page":
        _sleep(h, float(query.get("sleep", ["0.05"])[0]))  # long enough to overlap if allowed
        h.send_bytes(200, (f"<html><head><title>Page {arg}</title></head><body><h1>Page {arg}</h1>"
                           f"<p>{f'Body text of numbered page {arg} for politeness tests. ' * 4}</p>"
                           "</body></html>").encode(), "text/html; charset=utf-8")
    elif name == "slowfeed":
        # An RSS feed of n slow pages, with validators (ETag and Last-Modified; 304 on a match).
        n, sleep = int(query.get("n", ["10"])[0]), query.get("sleep", ["0.5"])[0]
        items = "".join(f"<item><title>Page {i}</title><link>{base}/faults/page/{i}?sleep={sleep}</link>"
                        f"<guid>{base}/faults/page/{i}</guid></item>" for i in range(n))
        body = (_FEED_HEAD.format(enc="utf-8", title="Slow pages", base=base) + items
                + "</channel></rss>").encode()
        etag = f'"slowfeed-{n}-{sleep}"'
        headers = {"ETag": etag, "Last-Modified": "Tue, 23 May 2017 11:30:00 GMT"}
        if h.headers.get("If-None-Match") == etag:
            h.send_bytes(304, b"", None, headers)
        else:
            h.send_bytes(200, body, "application/rss+xml; charset=utf-8", headers)
    else:
        # Includes /faults/xxe-target and /faults/dtd-target: they must never be reached,
        # and a test checks their hit count stays 0.
        h.send_bytes(404, b"<html><body>no such fault</body></html>", "text/html")

