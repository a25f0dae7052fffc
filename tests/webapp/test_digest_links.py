"""A digest email carries the web's links: RFC 8058 one-click unsubscribe that works, view in browser."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx

from notifier.digest import create_digest
from notifier.links import WebLinks
from notifier.outbox import deliver_pending
from notifier.senders import open_senders
from notifier.settings import ChannelSpec, DeliverySettings, SmtpRelay, SmtpSettings
from storage import optouts
from tests.notifier.conftest import ENTITIES, NOW, certs, smtp_factory, subscriber  # noqa: F401
from tests.webapp.conftest import SECRET, Site, store


def test_digest_email_one_click_unsubscribe_and_view_in_browser(site: Site, smtp_factory) -> None:  # noqa: F811
    store(
        site.db, site.cfg.names, "Кушакбаев на свободе", "Нурбек Кушакбаев вышел на свободу.", published=NOW
    )
    server = smtp_factory()
    sub = subscriber(ChannelSpec(type="email", to="bureau@example.org"), id="desk")
    assert create_digest(site.db, sub, ENTITIES, NOW) is not None
    relay = SmtpRelay(
        host="127.0.0.1",
        port=server.port,
        security="none",
        sender="Unionwatch digests <digest@example.org>",
        timeout=5,
    )
    links = WebLinks(site.base, SECRET)
    with open_senders(
        DeliverySettings(smtp=SmtpSettings(relay), admin_email="desk@example.org", web=links)
    ) as senders:
        assert deliver_pending(site.db, senders, NOW).sent == 1
    [raw] = server.recorder.messages
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    header = str(msg["List-Unsubscribe"])
    one_click, mailto = re.fullmatch(r"<(http[^>]+)>, <(mailto:[^>]+)>", header).groups()  # type: ignore[union-attr]
    assert one_click.startswith(site.base + "/u/") and mailto.startswith("mailto:desk@example.org")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = (p.get_content() for p in msg.iter_parts())
    assert one_click in text and "View in browser: " + site.base + "/d/" in text
    view = re.search(r"View in browser: (\S+)", text).group(1)  # type: ignore[union-attr]
    assert view in html

    with httpx.Client(timeout=10) as c:  # a mail scanner follows the link: nothing happens
        assert c.get(one_click).status_code == 200
    with site.db.read() as s:
        assert optouts.opted_out(s, ["desk"]) == set()
    with httpx.Client(timeout=10) as c:  # the mail client's one-click POST, no cookie
        r = c.post(one_click, data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200
    with site.db.read() as s:
        assert optouts.opted_out(s, ["desk"]) == {("desk", "email:bureau@example.org")}
    with httpx.Client(timeout=10, follow_redirects=False) as c:
        page = c.get(view)
        assert page.status_code == 200 and "Кушакбаев на свободе" in page.text


def test_each_digest_item_links_to_its_article_page_and_a_false_alarm_mark(
    site: Site, smtp_factory  # noqa: F811
) -> None:
    import dataclasses

    from notifier.assign import preview
    from notifier.render import telegram_parts, view
    from notifier.settings import DigestOptions

    store(site.db, site.cfg.names, "Елеусинов на свободе", "Амин Елеусинов вышел на свободу.", published=NOW)
    server = smtp_factory()
    links = WebLinks(site.base, SECRET)
    # The web shows desk what desk follows there: Eleusinov and Kharkova.
    base = subscriber(ChannelSpec(type="email", to="bureau@example.org"), id="desk",
                      entity_ids=("eleusinov", "kharkova"))
    sub = dataclasses.replace(base, options=DigestOptions(web=links))
    with site.db.read() as s:  # Telegram shows the same links, in the reader's language too
        tg = "\n".join(telegram_parts(view(preview(s, sub, ENTITIES, NOW))))
        ru = dataclasses.replace(sub, subscriber=sub.subscriber.model_copy(update={"language": "ru"}))
        tg_ru = "\n".join(telegram_parts(view(preview(s, ru, ENTITIES, NOW))))
    assert f'<a href="{site.base}/r/' in tg and "Not about Әмин Елеусінов?</a>" in tg
    assert "Открыть в unionwatch" in tg_ru and "Open in unionwatch" not in tg_ru
    assert create_digest(site.db, sub, ENTITIES, NOW) is not None
    relay = SmtpRelay(host="127.0.0.1", port=server.port, security="none",
                      sender="Unionwatch digests <digest@example.org>", timeout=5)
    with open_senders(DeliverySettings(smtp=SmtpSettings(relay), admin_email="desk@example.org",
                                       web=links)) as senders:
        assert deliver_pending(site.db, senders, NOW).sent == 1
    [raw] = server.recorder.messages
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = (p.get_content() for p in msg.iter_parts())
    item = text[text.index("Елеусинов на свободе"):]  # the links follow their item
    read = re.search(r"Open in unionwatch: (\S+)", item).group(1)  # type: ignore[union-attr]
    mark = re.search(r"Not about Әмин Елеусінов\? (\S+)", item).group(1)  # type: ignore[union-attr]
    assert read.startswith(site.base + "/r/") and mark.startswith(site.base + "/m/")
    assert f'href="{read}"' in html and f'href="{mark}"' in html
    with httpx.Client(timeout=10, follow_redirects=True) as c:  # no cookie: the link signs in
        page = c.get(read)
        assert page.status_code == 200 and "Елеусинов на свободе" in page.text
    with httpx.Client(timeout=10, follow_redirects=True) as c:
        marked = c.get(mark)
        assert marked.status_code == 200 and "Елеусинов на свободе" in marked.text
        assert "eleusinov" in str(marked.url)
    with httpx.Client(timeout=10) as c:  # a tampered link signs no one in
        assert c.get(read[:-3] + "xyz").status_code in (400, 403, 404)
