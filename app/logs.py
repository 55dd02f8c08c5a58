"""Logging that never carries personal data or secrets, whatever a caller passes in."""

from __future__ import annotations

import ipaddress
import logging
import re

# Terminal styling (ECMA-48 CSI sequences). werkzeug colours its request lines whether or not
# stderr is a terminal, so `make run > file` would otherwise write escape codes into the file.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")

# Secrets recognised by their shape. Order matters: links and tokens first (they may contain digit
# runs or an @), then emails.
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A recovery link (app/recovery/links.py) opens a shopper's checkout for 30 days: a bearer token.
    (re.compile(r"/r/[^\s/?#\"'<>]+"), "/r/[link]"),
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]+", re.I), "Bearer [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[jwt]"),
    (re.compile(r"\b(shp(at|ua|ca|ss|rt)_)[A-Za-z0-9]+"), r"\1[redacted]"),
    (re.compile(r"\b(AC|SK|SM|CA|RE|MM)[0-9a-fA-F]{32}\b"), r"\1[sid]"),
    (re.compile(r"(?i)(access_token|refresh_token|client_secret|id_token|code|hmac|signature|"
                r"auth_token|password|api_key)(['\"]?\s*[:=]\s*['\"]?)[^\s&'\",}]+"),
     r"\1\2[redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
)

# uuid4 hex and the digests worth keeping (md5 and longer) have 32 hex digits or more.
_MIN_HEX_ID_LENGTH = 32
# Number-like text an operator needs and no phone number looks like. In the scan below these are
# tried first, so the phone rule never sees the digits inside them.
_KEEP = (
    # ISO dates and timestamps: 2026-11-22, 2026-11-22T10:00:00Z, 2026-11-22 10:00:00.123+00:00.
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    # Clock times and durations, e.g. RQ's "job ... in 0:00:00.012345s".
    r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?",
    # Dashed UUIDs (RQ job ids).
    r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b",
    # Hex ids and digests (RQ worker names are uuid4 hex): at least one letter, so not a number.
    rf"\b(?=\d*[a-fA-F])[0-9a-fA-F]{{{_MIN_HEX_ID_LENGTH},}}\b",
)
_IPV4_SHAPE = r"\d{1,3}(?:\.\d{1,3}){3}"
# Dotted quads and colon-separated hex (with an embedded IPv4 or a zone), not inside a longer word
# or version; ipaddress decides which candidates are addresses.
_IP_CANDIDATE = (rf"(?<![\w.:])(?:{_IPV4_SHAPE}|(?:[0-9a-fA-F]{{0,4}}:){{2,7}}"
                 rf"(?:{_IPV4_SHAPE}|[0-9a-fA-F]{{1,4}})?(?:%[\w.-]+)?)(?!\w|\.\d)")
# Phone-like: 7+ digits, possibly with +, spaces, dots, dashes or brackets between them.
_PHONE_LIKE = r"\+?\(?\d[\d\s().-]{5,}\d"
# The shortest phone numbers worth hiding (local numbers) have 7 digits; versions and counts fewer.
_MIN_PHONE_DIGITS = 7

_PHONE = re.compile(_PHONE_LIKE)
# One scan decides what each number-like run is; at any position the first alternative that matches
# wins, so a kept run is consumed before the phone rule could see its digits. Every alternative
# starts with one of these characters; testing that first lets the scan skip other text quickly.
_NUMBER_LIKE_START = r"[0-9a-fA-F:+(]"
_NUMBER_LIKE = re.compile(f"(?={_NUMBER_LIKE_START})"
                          f"(?:(?P<keep>{'|'.join(_KEEP)})|(?P<ip>{_IP_CANDIDATE})|(?P<phone>{_PHONE_LIKE}))")


def _phone(text: str) -> str:
    return "[number]" if sum(ch.isdigit() for ch in text) >= _MIN_PHONE_DIGITS else text


def _ip(text: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        # Shaped like an address but is not one (e.g. a dotted phone number): ordinary text.
        return _PHONE.sub(lambda match: _phone(match.group()), text)
    # The machine's own addresses (loopback, "all interfaces") say where a server listens, not who called.
    return text if address.is_loopback or address.is_unspecified else "[ip]"


# What becomes of each kind of run the scan finds (kept runs come back unchanged).
_ACTIONS = {"keep": str, "ip": _ip, "phone": _phone}


def redact(text: str) -> str:
    """Plain text with tokens, links, emails, phone numbers and client addresses replaced."""
    if "\x1b" in text:
        text = _ANSI_ESCAPE.sub("", text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return _NUMBER_LIKE.sub(lambda match: _ACTIONS[match.lastgroup](match.group()), text)


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
