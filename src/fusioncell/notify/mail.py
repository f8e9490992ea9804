"""E-mail through the operator's SMTP relay (the standard library's smtplib and email).

The Message-ID is the delivery id, so a mail sent again after a crash (the relay accepted
it, the server died before recording that) is recognisably the same message. The relay's
password is a SecretStr: it never appears in a log line, an error or a page.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

from fusioncell.clock import Clock
from fusioncell.settings import Settings


class Permanent(Exception):
    """The relay refused for good (e.g. the recipient does not exist)."""


def message_id(delivery: str, origin: str) -> str:
    host = origin.split("/", 1)[0] or "fusioncell"
    return f"<{delivery}@{host}>"


def build(
    settings: Settings,
    *,
    origin: str,
    delivery: str,
    to: str,
    lang: str,
    subject: str,
    text: str,
    clock: Clock,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject.replace("\n", " ").replace("\r", " ")
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = message_id(delivery, origin)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg["X-Fusioncell-Delivery"] = delivery
    msg.set_content(text, charset="utf-8")
    msg["Content-Language"] = lang  # after set_content, which clears the Content-* headers
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """Hand `msg` to the relay; raises Permanent where retrying cannot help, any other
    exception where it might (relay down, timeout, temporary refusal)."""
    host = settings.smtp_host
    if not host:
        raise Permanent("no SMTP relay is configured")
    timeout = settings.smtp_timeout
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(host, settings.smtp_port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        try:
            smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise Permanent(f"the relay refused the recipient ({codes[0]})") from None
            raise
