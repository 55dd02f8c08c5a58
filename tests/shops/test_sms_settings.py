"""The SMS settings: templates per language, the segment limit, the store's support contact."""

import pytest

from app.extensions import db
from app.shops import settings
from app.shops.models import Shop

TEMPLATE = "{store}: Hi {first_name}, {cart} is waiting: {link}"


def _error(field, value) -> str:
    with pytest.raises(settings.SettingsError) as caught:
        settings.validate_update({}, {field: value})
    assert set(caught.value.errors) == {field}
    return caught.value.errors[field]


def test_sms_settings_defaults():
    values = settings.defaults()
    assert values["sms_templates"] == {} and values["sms_max_segments"] == 2
    assert values["support_contact"] is None


# -- sms_templates ---------------------------------------------------------------------------------

def test_templates_are_stored_stripped_per_language_and_null_means_default():
    merged = settings.validate_update({}, {"sms_templates": {"es": f"  {TEMPLATE}\n", "fr": None}})
    assert merged["sms_templates"] == {"es": TEMPLATE}


def test_a_put_replaces_the_whole_templates_object():
    current = settings.validate_update({}, {"sms_templates": {"es": TEMPLATE, "de": TEMPLATE}})
    merged = settings.validate_update(current, {"sms_templates": {"de": "Hallo: {link}"}})
    assert merged["sms_templates"] == {"de": "Hallo: {link}"}


@pytest.mark.parametrize("value,message", [
    ({"it": TEMPLATE}, "unknown languages: it"),
    ({"en": "Come back to your cart"}, "en: must contain {link}"),
    ({"en": "  "}, "en: must be 1 to 480 characters"),
    ({"en": "{link} " + "x" * 480}, "en: must be 1 to 480 characters"),
    ({"en": "Hi {name}: {link}"}, "en: unknown placeholder {name}"),
    ({"en": "Deal {link} :-}"}, "en: braces may only surround a placeholder"),
    ({"en": 5}, "en: must be text"),
    ("{link}", "must map languages"),
    (None, "must map languages"),
])
def test_invalid_templates_are_refused_with_a_message_naming_the_language(value, message):
    assert message in _error("sms_templates", value)


def test_every_bad_language_is_named_at_once():
    message = _error("sms_templates", {"en": "no link", "de": "{x} {link}", "es": TEMPLATE})
    assert message.startswith("en: must contain {link}") and "de: unknown placeholder {x}" in message
    assert "es:" not in message


# -- sms_max_segments ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, 6])
def test_segment_limit_accepts_one_to_six(value):
    assert settings.validate_update({}, {"sms_max_segments": value})["sms_max_segments"] == value


@pytest.mark.parametrize("value", [0, 7, "2", 2.5, True, None])
def test_segment_limit_refuses_anything_else(value):
    assert _error("sms_max_segments", value)


# -- support_contact -------------------------------------------------------------------------------

@pytest.mark.parametrize("value,stored", [
    ("help@alpha.example", "help@alpha.example"),
    (" +1 415-555-0123 ", "+1 415-555-0123"),
    ("(415) 555-0123", "(415) 555-0123"),
    ("https://alpha.example/pages/contact", "https://alpha.example/pages/contact"),
    ("alpha.example/help", "alpha.example/help"),
    ("", None),
    (None, None),
])
def test_support_contact_takes_an_email_phone_or_web_address(value, stored):
    assert settings.validate_update({}, {"support_contact": value})["support_contact"] == stored


@pytest.mark.parametrize("value", ["call us", "12345", "a@b", "+1 415 555 0123 ext", 42, ["help@a.example"]])
def test_support_contact_refuses_what_a_shopper_could_not_use(value):
    assert _error("support_contact", value)


def test_support_contact_is_at_most_120_characters():
    assert "at most 120" in _error("support_contact", "help@" + "a" * 120 + ".example")


def test_sms_settings_are_in_the_json_schema():
    properties = settings.json_schema()["properties"]
    assert properties["sms_max_segments"]["maximum"] == settings.MAX_SMS_SEGMENTS
    assert set(properties["sms_templates"]["properties"]) == set(settings.LANGUAGES)
    assert properties["support_contact"]["default"] is None


# -- through the API -------------------------------------------------------------------------------

@pytest.mark.data
def test_put_sms_settings_saves_them(client, installed_shop, id_token):
    installed_shop()
    auth = {"Authorization": f"Bearer {id_token()}"}
    changes = {"sms_templates": {"fr": "{store} : {cart} vous attend : {link}"}, "sms_max_segments": 3,
               "support_contact": "help@alpha.example"}
    response = client.put("/api/settings", json=changes, headers=auth)
    assert response.status_code == 200
    assert {name: response.json[name] for name in changes} == changes
    assert {name: client.get("/api/settings", headers=auth).json[name] for name in changes} == changes


@pytest.mark.data
def test_a_bad_template_gets_422_and_saves_nothing(client, installed_shop, id_token):
    installed_shop()
    auth = {"Authorization": f"Bearer {id_token()}"}
    response = client.put("/api/settings", json={"sms_templates": {"en": "no link"}, "sms_max_segments": 3},
                          headers=auth)
    assert response.status_code == 422
    assert response.json["errors"] == {"sms_templates": "en: must contain {link}, the shopper's link back "
                                                        "to their checkout"}
    db.session.expire_all()
    shop = db.session.query(Shop).filter_by(domain="alpha.myshopify.com").one()
    assert not (shop.settings and shop.settings.values)
