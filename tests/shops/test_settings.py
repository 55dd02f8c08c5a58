"""The settings schema: defaults, partial updates, all-or-nothing validation."""

import pytest

from app.shops import settings


@pytest.mark.promise("retention-24-months")
def test_defaults_cover_every_field():
    values = settings.defaults()
    assert set(values) == set(settings.FIELDS)
    assert values["holdout_percent"] == 10
    assert values["first_contact_delay_minutes"] == 30
    assert values["attribution_window_days"] == 7
    assert values["retention_days"] == settings.MAX_RETENTION_DAYS == 730


def test_partial_update_keeps_other_values():
    merged = settings.validate_update({"sms_enabled": False}, {"holdout_percent": 20})
    assert merged["holdout_percent"] == 20 and merged["sms_enabled"] is False


def test_one_bad_field_rejects_the_whole_update():
    with pytest.raises(settings.SettingsError) as caught:
        settings.validate_update({}, {"holdout_percent": 20, "max_attempts": 99, "bogus": 1})
    assert set(caught.value.errors) == {"max_attempts", "bogus"}


@pytest.mark.promise("retention-24-months")
@pytest.mark.parametrize("field,value", [
    ("calls_enabled", "yes"), ("max_attempts", True), ("max_attempts", 2.5),
    ("min_cart_value", "-1"), ("min_cart_value", "NaN"), ("min_cart_value", None),
    ("contact_window_start", "8am"), ("contact_window_end", "24:00"),
    ("allowed_countries", "US"), ("allowed_countries", ["USA"]),
    ("retention_days", 731), ("store_display_name", "x" * 81), ("holdout_percent", -1),
])
def test_invalid_values_are_refused_with_a_message(field, value):
    with pytest.raises(settings.SettingsError) as caught:
        settings.validate_update({}, {field: value})
    assert caught.value.errors[field]


def test_window_end_must_follow_start():
    with pytest.raises(settings.SettingsError) as caught:
        settings.validate_update({}, {"contact_window_start": "20:00", "contact_window_end": "09:00"})
    assert "contact_window_end" in caught.value.errors


def test_values_are_normalised():
    merged = settings.validate_update({}, {"allowed_countries": ["us", " ca", "US"],
                                           "min_cart_value": 25, "store_display_name": "  "})
    assert merged["allowed_countries"] == ["CA", "US"]
    assert merged["min_cart_value"] == "25.00"
    assert merged["store_display_name"] is None


def test_stored_values_that_no_longer_validate_fall_back_to_defaults():
    resolved = settings.resolve({"holdout_percent": 500, "gone_setting": 1, "sms_enabled": False})
    assert resolved["holdout_percent"] == 10 and resolved["sms_enabled"] is False
    assert "gone_setting" not in resolved


def test_body_that_is_not_an_object_is_refused():
    with pytest.raises(settings.SettingsError):
        settings.validate_update({}, ["holdout_percent", 5])


def test_json_schema_documents_every_field():
    schema = settings.json_schema()
    assert set(schema["properties"]) == set(settings.FIELDS)
    assert all("description" in p for p in schema["properties"].values())


# -- voice settings --------------------------------------------------------------------------------

def test_voice_settings_have_the_contract_defaults():
    values = settings.defaults()
    assert values["discount_max_percent"] == 10 and values["discount_expiry_hours"] == 48
    assert values["transfer_phone"] is None and values["transfer_hours"] is None
    assert values["voicemail_action"] == "message"
    assert values["agent_voices"]["es"].endswith("-Neural")


@pytest.mark.parametrize("changes, field", [
    ({"transfer_phone": "555-0100"}, "transfer_phone"),
    ({"transfer_phone": "+1999"}, "transfer_phone"),
    ({"transfer_hours": "9-17"}, "transfer_hours"),
    ({"transfer_hours": "09:00-09:00"}, "transfer_hours"),
    ({"voicemail_action": "shout"}, "voicemail_action"),
    ({"discount_max_percent": 80}, "discount_max_percent"),
    ({"discount_expiry_hours": 0}, "discount_expiry_hours"),
    ({"discount_applies_to": "everything"}, "discount_applies_to"),
    ({"agent_voices": {"it": "Polly.Bianca-Neural"}}, "agent_voices"),
    ({"agent_voices": {"en": "<Say>evil</Say>"}}, "agent_voices"),
    ({"agent_voices": "Polly.Joanna-Neural"}, "agent_voices"),
])
def test_bad_voice_settings_are_refused_by_field(changes, field):
    with pytest.raises(settings.SettingsError) as caught:
        settings.validate_update({}, changes)
    assert set(caught.value.errors) == {field}


def test_transfer_settings_are_normalised():
    values = settings.validate_update({}, {"transfer_phone": "+1 (415) 555-0123",
                                           "transfer_hours": "22:00-06:00",
                                           "agent_voices": {"de": "Polly.Daniel-Neural"}})
    assert values["transfer_phone"] == "+14155550123" and values["transfer_hours"] == "22:00-06:00"
    assert values["agent_voices"]["de"] == "Polly.Daniel-Neural" and values["agent_voices"]["en"]


def test_defaults_are_fresh_copies():
    settings.defaults()["agent_voices"]["en"] = "Polly.Changed"
    assert settings.defaults()["agent_voices"]["en"] == "Polly.Joanna-Neural"
