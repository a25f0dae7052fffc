"""The senders of one delivery pass, opened together and closed together by their opener."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from notifier.channels.apprise import AppriseSender
from notifier.channels.base import Sender
from notifier.channels.email import EmailSender
from notifier.channels.file import FileSender
from notifier.channels.telegram import TelegramSender
from notifier.channels.webhook import WebhookSender
from notifier.settings import ChannelType, DeliverySettings


@contextmanager
def open_senders(settings: DeliverySettings) -> Iterator[dict[ChannelType, Sender]]:
    """One sender per channel type the settings can deliver to, closed on leaving the block.

        with open_senders(settings) as senders:
            report = deliver_pending(db, senders, now)
            send_alerts(build_alerts(report), settings.admins, senders)

    Connections (SMTP, the Bot API's HTTP pool) are opened lazily, on the first send, and
    reused by everything sent within the block.
    """
    sender_addr = settings.smtp.relay.sender if settings.smtp else "unionwatch@localhost"
    senders: dict[ChannelType, Sender] = {
        ChannelType.FILE: FileSender(sender=sender_addr, list_id=settings.list_id),
    }
    if settings.apprise_urls:
        senders[ChannelType.APPRISE] = AppriseSender(settings.apprise_urls, deadline=settings.send_timeout)
    if settings.webhooks:
        senders[ChannelType.WEBHOOK] = WebhookSender(settings.webhooks, deadline=settings.send_timeout)
    if settings.smtp is not None:
        senders[ChannelType.EMAIL] = EmailSender(
            settings.smtp, list_id=settings.list_id, unsubscribe=settings.admin_email,
            deadline=settings.send_timeout, web=settings.web,
        )
    if settings.telegram is not None and settings.telegram.token:
        senders[ChannelType.TELEGRAM] = TelegramSender(settings.telegram,
                                                       deadline=settings.send_timeout, web=settings.web)
    with ExitStack() as stack:
        for sender in senders.values():
            stack.callback(sender.close)
        yield senders
