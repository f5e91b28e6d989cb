"""Sending alert email over SMTP (STARTTLS, implicit TLS, or plain for a loopback relay).

Every socket operation has a timeout, so a hung mail server costs one attempt, not the
dispatcher.  SMTP replies are sorted the way the protocol means them: 4xx and broken
connections are worth retrying, 5xx (bad mailbox, refused login) are not until someone
changes something.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from .errors import PermanentDeliveryError, TransientDeliveryError
from .rules import SmtpSettings


def _classify(code: int, text: str) -> TransientDeliveryError | PermanentDeliveryError:
    message = f"SMTP {code}: {text}".strip()
    if 400 <= code < 500:
        return TransientDeliveryError(message)
    return PermanentDeliveryError(message)


def _reply_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def send_email(settings: SmtpSettings, message: EmailMessage, recipient: str) -> None:
    """Deliver *message* to *recipient*; raise a DeliveryError saying whether to retry."""
    context = ssl.create_default_context()
    helo = socket.gethostname() or "localhost"
    sender = parseaddr(settings.sender)[1] or settings.sender
    client: smtplib.SMTP | None = None
    try:
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, settings.port, local_hostname=helo,
                                      timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, local_hostname=helo,
                                  timeout=settings.timeout)
            if settings.security == "starttls":
                client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        refused = client.send_message(message, from_addr=sender, to_addrs=[recipient])
        if refused:
            code, text = refused[recipient]
            raise _classify(code, _reply_text(text))
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _classify(code, _reply_text(text)) from exc
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth, …
        raise _classify(exc.smtp_code, _reply_text(exc.smtp_error)) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentDeliveryError(f"SMTP server does not support it: {exc}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise PermanentDeliveryError(f"TLS certificate of {settings.host} rejected: "
                                     f"{exc.verify_message}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, TLS failure
        raise TransientDeliveryError(f"SMTP {settings.host}:{settings.port}: "
                                     f"{type(exc).__name__}: {exc}") from exc
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


__all__ = ["send_email"]
