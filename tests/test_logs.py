import logging

import pytest
from flask import Flask

from app.logs import install_redaction, redact
from app.recovery.links import link_token

# RQ names a worker uuid4().hex; this one holds a 7-digit run, which is no phone number.
RQ_WORKER = "5f0c1234567d4e8fa2b3c4d5e6f70819"
RQ_JOB = "c8d0b3a2-1234-5678-9abc-def012345678"


@pytest.mark.promise("no-pii-in-logs")
def test_redact_removes_phones_emails_and_tokens():
    text = ("call +1 (201) 555-0123 mail jo@example.com Bearer eyJa.eyJb.c shpat_abcdef123 "
            "access_token=abc refresh_token: xyz")
    out = redact(text)
    for secret in ("555-0123", "jo@example.com", "eyJa", "abcdef123", "=abc", "xyz"):
        assert secret not in out


def test_redact_keeps_dates_and_small_numbers():
    assert redact("delivery 42 at 2026-11-22T10:00:00Z") == "delivery 42 at 2026-11-22T10:00:00Z"


@pytest.mark.promise("no-pii-in-logs")
def test_log_records_are_redacted_for_every_handler(caplog):
    install_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("app.test").info("shopper %s phone %s", "jo@example.com", "+12015550123")
    assert "jo@example.com" not in caplog.text
    assert "2015550123" not in caplog.text
    assert "[email]" in caplog.text


@pytest.mark.parametrize("line", [
    'POST http://127.0.0.1:8000/admin/api/2025-10/graphql.json "HTTP/1.1 200"',
    "Ringback on http://127.0.0.1:8000/ (Ctrl-C stops)",
    " * Running on http://[::1]:8000",
    " * Running on all addresses (0.0.0.0)",
])
def test_redact_keeps_versions_and_loopback_addresses(line):
    assert redact(line) == line


@pytest.mark.promise("no-pii-in-logs")
def test_recovery_link_tokens_are_redacted():
    signer = Flask(__name__)
    signer.config["SECRET_KEY"] = "s" * 32
    with signer.app_context():
        token = link_token(123456789, 42)
    request_line = f'"GET /r/{token}?utm_source=sms HTTP/1.1" 302 -'
    assert redact(request_line) == '"GET /r/[link]?utm_source=sms HTTP/1.1" 302 -'
    assert redact(f"text sent: back to your cart https://ringback.example/r/{token}") == (
        "text sent: back to your cart https://ringback.example/r/[link]")
    assert redact('"GET /r/sometoken HTTP/1.1" 404 -') == '"GET /r/[link] HTTP/1.1" 404 -'


@pytest.mark.promise("no-pii-in-logs")
@pytest.mark.parametrize(("line", "expected"), [
    ('203.0.113.9 - - [01/Dec/2026 23:28:45] "GET / HTTP/1.1" 200 -',
     '[ip] - - [01/Dec/2026 23:28:45] "GET / HTTP/1.1" 200 -'),
    ('2001:db8::7 - - [01/Dec/2026:23:28:45 +0000] "GET /api/shop HTTP/1.1" 200 512 "-" "curl/8.5.0"',
     '[ip] - - [01/Dec/2026:23:28:45 +0000] "GET /api/shop HTTP/1.1" 200 512 "-" "curl/8.5.0"'),
    ("::ffff:198.51.100.4 - - [01/Dec/2026 23:28:45] \"GET / HTTP/1.1\" 200 -",
     '[ip] - - [01/Dec/2026 23:28:45] "GET / HTTP/1.1" 200 -'),
    ("fe80::1%eth0 - - [01/Dec/2026 23:28:45] \"GET / HTTP/1.1\" 200 -",
     '[ip] - - [01/Dec/2026 23:28:45] "GET / HTTP/1.1" 200 -'),
    ("X-Forwarded-For: 198.51.100.4, 10.0.0.7.", "X-Forwarded-For: [ip], [ip]."),
])
def test_client_ip_addresses_are_redacted(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize("line", [
    f"Worker {RQ_WORKER}: started with PID 8218, version 2.12.0",
    f"Worker {RQ_WORKER}: subscribing to channel rq:pubsub:{RQ_WORKER}",
    f"Successfully completed app.recovery.sweeper.sweep() job in 0:00:00.012345s on worker {RQ_WORKER}",
    f"Worker {RQ_WORKER}: ringback: Job OK ({RQ_JOB})",
    "took 1 day, 2:03:04.123456",
])
def test_durations_and_worker_ids_are_kept(line):
    assert redact(line) == line


@pytest.mark.parametrize("line", [
    "next attempt at 2026-11-22 10:00:00",
    "next attempt at 2026-11-22 10:00:00.123456+00:00",
    "quiet hours end 2026-11-22T08:00:00-05:00",
])
def test_timestamps_in_messages_are_kept(line):
    assert redact(line) == line


@pytest.mark.promise("no-pii-in-logs")
@pytest.mark.parametrize(("line", "number"), [
    ("sms to +12125550123", "2125550123"),
    ("call +1 (212) 555-0123", "555-0123"),
    ("(212) 555-0123", "555-0123"),
    ("212.555.0123", "555.0123"),
    ("phone: 2125550123", "2125550123"),
    ("To=%2B12125550123&Body=hi", "2125550123"),
    ("+44 20 7946 0958", "7946 0958"),
    # Dotted like an IPv4 address but not one: only ipaddress can tell.
    ("gsm 475.12.34.56", "475.12.34.56"),
    (f"sms to +12125550123 sent in 0:00:00.5s by {RQ_WORKER}", "2125550123"),
])
def test_phone_numbers_are_redacted_in_every_form(line, number):
    out = redact(line)
    assert number not in out
    assert "[number]" in out


def test_ansi_colour_codes_are_stripped(caplog, monkeypatch):
    install_redaction()
    werkzeug, rq = logging.getLogger("werkzeug"), logging.getLogger("rq.worker")
    # An RQ worker started by an earlier test may have set up its own handler and stopped propagation.
    monkeypatch.setattr(rq, "propagate", True)
    monkeypatch.setattr(rq, "level", logging.NOTSET)
    with caplog.at_level(logging.INFO):
        # As werkzeug styles a 404 request line and its startup warning, and RQ a tty's queue name.
        werkzeug.info('127.0.0.1 - - [x] "%s" %s -', "\x1b[33mGET /nope HTTP/1.1\x1b[0m", 404)
        werkzeug.info("\x1b[31m\x1b[1mWARNING: This is a development server.\x1b[0m")
        rq.info("%s: Job OK", "\x1b[32mringback\x1b[39;49;00m")
    assert [record.getMessage() for record in caplog.records] == [
        '127.0.0.1 - - [x] "GET /nope HTTP/1.1" 404 -',
        "WARNING: This is a development server.",
        "ringback: Job OK",
    ]
