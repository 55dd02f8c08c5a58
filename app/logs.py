"""Logging that never carries personal data or secrets, whatever a caller passes in."""

from __future__ import annotations

import logging
import re

# Order matters: tokens first (they may contain digit runs), then emails, then phone-like runs.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]+", re.I), "Bearer [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[jwt]"),
    (re.compile(r"\b(shp(at|ua|ca|ss|rt)_)[A-Za-z0-9]+"), r"\1[redacted]"),
    (re.compile(r"\b(AC|SK|SM|CA|RE|MM)[0-9a-fA-F]{32}\b"), r"\1[sid]"),
    (re.compile(r"(?i)(access_token|refresh_token|client_secret|id_token|code|hmac|signature|"
                r"auth_token|password|api_key)(['\"]?\s*[:=]\s*['\"]?)[^\s&'\",}]+"),
     r"\1\2[redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
)
# Phone-like: 7+ digits, possibly with +, spaces, dots, dashes or brackets between them.
_PHONE_LIKE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
# The shortest phone numbers worth hiding (local numbers) have 7 digits; versions and counts fewer.
_MIN_PHONE_DIGITS = 7


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    if _ISO_DATE.fullmatch(text) or _IPV4.fullmatch(text):
        return text
    if sum(ch.isdigit() for ch in text) < _MIN_PHONE_DIGITS:
        return text
    return "[number]"


def redact(text: str) -> str:
    """Replace anything that looks like a token, email or phone number."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _PHONE_LIKE.sub(_number, text)


def _redacting_factory(base):
    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        if getattr(record, "ringback_redacted", False):
            return record
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.ringback_redacted = True
        return record

    make_record.ringback = True
    return make_record


def install_redaction() -> None:
    """Redact every log record at creation, so no handler (ours, gunicorn's, pytest's) sees PII."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "ringback", False):
        logging.setLogRecordFactory(_redacting_factory(current))


def configure(app) -> None:
    """Install redaction and a plain stderr handler when nothing else configured logging."""
    install_redaction()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    if root.level == logging.WARNING:
        root.setLevel(logging.DEBUG if app.debug else logging.INFO)
