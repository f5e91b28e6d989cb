"""Signed webhook deliveries, and how a receiver checks them.

Each delivery is one ``POST`` of the Event JSON (design.md) with these headers::

    Content-Type: application/json; charset=utf-8
    X-Rightswatch-Event: figure.changed
    X-Rightswatch-Delivery: dlv_3f1c…          (stable: the same delivery always has it)
    X-Rightswatch-Timestamp: 1767225600        (Unix seconds, when it was signed)
    X-Rightswatch-Signature: sha256=<hex>      (HMAC-SHA256 of  timestamp + "." + body)

The secret is per target (`secret = "${…}"` in the `[[alert]]` table) and shared with the
receiver out of band.

How a receiver verifies a request
---------------------------------
1. Read the raw request body as bytes, *before* any JSON parsing (re-serialising changes
   the bytes and breaks the signature).
2. Call ``verify_signature(secret, timestamp_header, body, signature_header)``; it recomputes
   ``HMAC-SHA256(secret, f"{timestamp}.".encode() + body)``, compares in constant time and
   rejects timestamps more than five minutes from now (a replayed old request).  Without
   Python: compute the same HMAC, compare with a constant-time function, check the clock.
3. Answer 401 when it fails.  Otherwise de-duplicate on ``X-Rightswatch-Delivery``: after a
   crash or a lost response the same delivery may come again (same id, fresh signature);
   acknowledge it with 2xx and do not act twice.
4. Answer 2xx quickly (queue the work); 410 Gone tells rightswatch to stop sending to this
   URL; 429 or 5xx (with an optional ``Retry-After``) asks it to try again later; any other
   4xx marks the delivery failed until an operator re-queues it.

Example (Flask)::

    @app.post("/rightswatch")
    def hook():
        ok = verify_signature(SECRET, request.headers["X-Rightswatch-Timestamp"],
                              request.get_data(), request.headers["X-Rightswatch-Signature"])
        if not ok:
            abort(401)
        if seen(request.headers["X-Rightswatch-Delivery"]):
            return "", 200
        queue(request.get_json())
        return "", 202
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .. import __version__
from .errors import PermanentDeliveryError, TargetGone, TransientDeliveryError

SIGNATURE_PREFIX = "sha256="
MAX_RETRY_AFTER = 86_400.0


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """The `X-Rightswatch-Signature` value for *body* signed at *timestamp*."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    mac = hmac.new(key, f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(secret: str | bytes, timestamp: str | int | None, body: bytes,
                     signature_header: str | None, *, tolerance: float = 300,
                     now: float | None = None) -> bool:
    """True when *signature_header* is a valid signature of *body* at a recent *timestamp*.

    The header may hold several comma-separated ``sha256=`` values (for secret rotation);
    any valid one passes.  Comparison is constant-time; a timestamp further than *tolerance*
    seconds from *now* (default: the current time) is rejected, so a captured request
    cannot be replayed later.
    """
    if timestamp is None or not signature_header:
        return False
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        return False
    expected = sign(secret, ts, body)
    valid = False
    for candidate in signature_header.split(","):
        # No early exit: every candidate is compared, so timing says nothing.
        valid |= hmac.compare_digest(candidate.strip().encode(), expected.encode())
    return valid


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return min(max(0.0, when.timestamp() - current), MAX_RETRY_AFTER)


def post_event(client: httpx.Client, url: str, secret: str, *, event_type: str,
               delivery_id: str, body: bytes, timestamp: int | None = None) -> int:
    """POST one signed delivery; return the 2xx status or raise a DeliveryError.

    Redirects are not followed (a moved endpoint should be reconfigured, not guessed).
    """
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"rightswatch/{__version__}",
        "X-Rightswatch-Event": event_type,
        "X-Rightswatch-Delivery": delivery_id,
        "X-Rightswatch-Timestamp": str(ts),
        "X-Rightswatch-Signature": sign(secret, ts, body),
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise TransientDeliveryError(f"webhook timed out ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:  # refused, reset, DNS, protocol error
        raise TransientDeliveryError(f"webhook unreachable: {type(exc).__name__}: "
                                     f"{exc}") from exc
    code = response.status_code
    if 200 <= code < 300:
        return code
    detail = f"webhook answered HTTP {code}"
    snippet = response.text[:200].strip() if response.content else ""
    if snippet:
        detail += f": {snippet}"
    if code == 410:
        raise TargetGone(detail)
    if code in (408, 429) or code >= 500:
        raise TransientDeliveryError(
            detail, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if 300 <= code < 400:
        detail += f" (redirect to {response.headers.get('Location', '?')}: update the URL)"
    raise PermanentDeliveryError(detail)


def make_client(timeout: float) -> httpx.Client:
    """An httpx client with explicit connect/read/write/pool timeouts."""
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                        follow_redirects=False)


__all__ = ["make_client", "parse_retry_after", "post_event", "sign", "verify_signature"]
