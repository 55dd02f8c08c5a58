import logging

from app.logs import install_redaction, redact


def test_redact_removes_phones_emails_and_tokens():
    text = ("call +1 (201) 555-0123 mail jo@example.com Bearer eyJa.eyJb.c shpat_abcdef123 "
            "access_token=abc refresh_token: xyz")
    out = redact(text)
    for secret in ("555-0123", "jo@example.com", "eyJa", "abcdef123", "=abc", "xyz"):
        assert secret not in out


def test_redact_keeps_dates_and_small_numbers():
    assert redact("delivery 42 at 2026-11-22T10:00:00Z") == "delivery 42 at 2026-11-22T10:00:00Z"


def test_log_records_are_redacted_for_every_handler(caplog):
    install_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("app.test").info("shopper %s phone %s", "jo@example.com", "+12015550123")
    assert "jo@example.com" not in caplog.text
    assert "2015550123" not in caplog.text
    assert "[email]" in caplog.text


def test_redact_keeps_versions_and_loopback_addresses():
    line = 'POST http://127.0.0.1:8000/admin/api/2025-10/graphql.json "HTTP/1.1 200"'
    assert redact(line) == line
