"""The SPN2 client through its transport seam: what it sends and how it reads SPN2's replies."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest

from scheduler.wayback import Spn2Client, Spn2Error, backoff, snapshot_url
from storage.types import utcnow


def _client(handler: httpx.MockTransport) -> Spn2Client:
    return Spn2Client("https://spn2.test/", "key", "secret", transport=handler)


def test_save_sends_the_low_authorization_and_the_url_as_a_form() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"url": "https://a.example/x", "job_id": "spn2-abc"})

    assert _client(httpx.MockTransport(handle)).save("https://a.example/x?q=1&r=2") == "spn2-abc"
    [req] = seen
    assert req.method == "POST" and req.url == "https://spn2.test/save"
    assert req.headers["Authorization"] == "LOW key:secret"
    assert req.headers["Accept"] == "application/json"
    assert httpx.QueryParams(req.content.decode()).get("url") == "https://a.example/x?q=1&r=2"


@pytest.mark.parametrize(("reply", "ext", "permanent", "limited"), [
    (httpx.Response(429, text="Too Many Requests", headers={"Retry-After": "120"}),
     "error:too-many-requests", False, True),
    (httpx.Response(200, json={"status": "error", "status_ext": "error:user-session-limit",
                               "message": "User has reached the limit of active capture sessions."}),
     "error:user-session-limit", False, True),
    (httpx.Response(200, json={"status": "error", "status_ext": "error:invalid-url-syntax",
                               "message": "bad"}),
     "error:invalid-url-syntax", True, False),
    (httpx.Response(401, json={"message": "You need to be logged in to use Save Page Now."}),
     "", False, False),
    (httpx.Response(502, text="<html>Bad gateway</html>"), "", False, False),
])
def test_errors_are_read_as_spn2_means_them(reply: httpx.Response, ext: str, permanent: bool,
                                             limited: bool) -> None:
    with pytest.raises(Spn2Error) as caught:
        _client(httpx.MockTransport(lambda _: reply)).save("https://a.example/x")
    assert caught.value.status_ext == ext
    assert caught.value.permanent is permanent and caught.value.rate_limited is limited
    if reply.status_code == 429:
        assert caught.value.retry_after == timedelta(seconds=120)


def test_retry_after_as_a_date_and_status_replies() -> None:
    when = utcnow() + timedelta(hours=2)
    reply = httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(Spn2Error) as caught:
        _client(httpx.MockTransport(lambda _: reply)).save("https://a.example/x")
    assert caught.value.retry_after is not None
    assert timedelta(hours=1, minutes=58) < caught.value.retry_after <= timedelta(hours=2)

    def status(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/save/status/spn2-1"
        return httpx.Response(200, json={"status": "success", "timestamp": "20261202101010",
                                         "original_url": "https://a.example/x"})

    st = _client(httpx.MockTransport(status)).status("spn2-1")
    assert (st.status, st.timestamp) == ("success", "20261202101010")
    assert snapshot_url(st.timestamp, st.original_url or "") == \
        "https://web.archive.org/web/20261202101010/https://a.example/x"


def test_backoff_grows_and_is_capped() -> None:
    assert backoff(1) < backoff(2) < backoff(5)
    assert backoff(50) == timedelta(days=1)
