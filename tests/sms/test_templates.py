"""The SMS recovery text: store, link and opt-out always; only the cart summary shortened to fit."""

import pytest

from app.shops.settings import LANGUAGES, defaults
from app.sms import templates
from app.sms.segments import GSM7, UCS2
from app.sms.templates import DEFAULT_TEMPLATES, OPT_OUT, cart_summaries, check_template, render_recovery

LINK = "https://ringback.example.com/r/" + "T" * 66  # as long as a real tracked link
LINES = [("Linen shirt", 1), ("Canvas tote", 2), ("Wool socks", 1)]


def settings(**changes) -> dict:
    return {**defaults(), **changes}


def render(language="en", *, first_name="Maria", lines=LINES, link=LINK, store="Alpha Goods", **changes):
    return render_recovery(settings(**changes), language, store=store, first_name=first_name, lines=lines,
                           link=link)


def test_recovery_text_has_store_name_link_and_stop_line():
    rendered = render()
    assert rendered.body == ("Alpha Goods: Hi Maria, you left Linen shirt, Canvas tote x2 and Wool socks in "
                             f"your cart. Finish your order here: {LINK} Reply STOP to opt out.")
    assert (rendered.encoding, rendered.segments, rendered.limit, rendered.within_limit) == (GSM7, 2, 2, True)
    assert rendered.units == len(rendered.body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_carries_store_link_and_its_own_stop_line(language):
    body = render(language).body
    assert body.startswith("Alpha Goods") and LINK in body and body.endswith(OPT_OUT[language])


def test_the_default_wording_is_gsm7_in_every_language():
    assert set(DEFAULT_TEMPLATES) == set(OPT_OUT) == set(LANGUAGES)
    for language in LANGUAGES:
        assert check_template(DEFAULT_TEMPLATES[language]) == DEFAULT_TEMPLATES[language]
        assert render(language, sms_max_segments=6).encoding == GSM7


def test_the_cart_summary_shortens_step_by_step():
    lines = [*LINES, ("Felt hat", 1)]
    assert list(cart_summaries(lines, "en")) == [
        "Linen shirt, Canvas tote x2, Wool socks and 1 more item",
        "Linen shirt, Canvas tote x2 and 2 more items",
        "Linen shirt and 4 more items",
        "5 items",
        "your items",
    ]
    assert list(cart_summaries([("Linen shirt", 1)], "de")) == ["Linen shirt", "1 Artikel", "Ihre Artikel"]
    assert list(cart_summaries([], "fr")) == ["vos articles"]


@pytest.mark.parametrize("language,title,phrases", [
    ("es", "Camisa", ["Camisa y 1 producto adicional", "2 productos", "tus productos"]),
    ("fr", "Chemise", ["Chemise et 1 autre article", "2 articles", "vos articles"]),
    ("de", "Hemd", ["Hemd und 1 weiterer Artikel", "2 Artikel", "Ihre Artikel"]),
])
def test_cart_summaries_are_worded_in_the_language(language, title, phrases):
    # A line without a usable title is counted, never named.
    assert list(cart_summaries([(title, 1), ("\x00", 1)], language)) == phrases


def test_segment_limit_shortens_cart_summary_never_link_or_stop():
    long_lines = [(f"Hand-stitched leather weekend bag no. {n}", 1) for n in range(5)]
    roomy = render(lines=long_lines, sms_max_segments=6)
    tight = render(lines=long_lines, sms_max_segments=2)
    assert "Hand-stitched leather weekend bag no. 2" in roomy.body and roomy.within_limit
    assert tight.within_limit and tight.segments <= 2 and len(tight.body) < len(roomy.body)
    assert LINK in tight.body and tight.body.endswith("Reply STOP to opt out.")
    assert tight.body.startswith("Alpha Goods: Hi Maria, you left ")


@pytest.mark.parametrize("link_length,summary", [
    (0, "Linen shirt, Canvas tote x2 and Wool socks"),
    (9, "Linen shirt and 3 more items"),
    (24, "4 items"),
])
def test_one_segment_takes_the_longest_summary_that_fits(link_length, summary):
    rendered = render(link="https://rb.example/r/" + "a" * link_length, sms_max_segments=1)
    assert rendered.segments == 1 and rendered.within_limit
    assert f"you left {summary} in your cart" in rendered.body


def test_an_empty_cart_reads_your_items():
    assert "you left your items in your cart" in render(lines=[]).body


def test_over_limit_still_carries_link_and_stop():
    rendered = render(link="https://ringback.example.com/r/" + "T" * 140, sms_max_segments=1)
    assert not rendered.within_limit and rendered.segments == 2 and rendered.limit == 1
    assert "https://ringback.example.com/r/" + "T" * 140 in rendered.body
    assert rendered.body.startswith("Alpha Goods: ") and rendered.body.endswith("Reply STOP to opt out.")
    assert "4 items" in rendered.body  # the shortest summary was tried


@pytest.mark.parametrize("language,greeting", [
    ("en", "Alpha Goods: Hi there, you left"), ("es", "Alpha Goods: Hola, dejaste"),
    ("fr", "Alpha Goods : Bonjour, vous avez"), ("de", "Alpha Goods: Hallo, Sie haben"),
])
def test_missing_first_name_reads_naturally(language, greeting):
    assert render(language, first_name=None).body.startswith(greeting)
    assert render(language, first_name=" \t ").body.startswith(greeting)


def test_missing_first_name_in_a_merchant_template():
    body = render(first_name=None, sms_templates={"en": "{store}: {first_name}, it waits: {link}"}).body
    assert body.startswith("Alpha Goods: it waits: ")
    body = render(first_name=None, sms_templates={"en": "Thanks {first_name}! Back to it: {link}"}).body
    assert body.startswith("Alpha Goods: Thanks! Back to it: ")
    body = render(first_name=None, sms_templates={"en": "Hey {first_name} - {cart} is saved: {link}"}).body
    assert body.startswith("Alpha Goods: Hey there - ")


def test_merchant_template_per_language():
    custom = {"es": "{store}: {first_name}, tu carrito te espera: {link}"}
    assert render("es", sms_templates=custom).body == (
        f"Alpha Goods: Maria, tu carrito te espera: {LINK} Responde STOP para darte de baja.")
    assert render("en", sms_templates=custom).body.startswith("Alpha Goods: Hi Maria, you left")


def test_merchant_template_without_store_gets_the_store_first():
    assert render(sms_templates={"en": "Come back: {link}"}).body == (
        f"Alpha Goods: Come back: {LINK} Reply STOP to opt out.")
    assert render("fr", sms_templates={"fr": "Revenez : {link}"}).body.startswith("Alpha Goods : Revenez")


def test_merchant_template_that_says_stop_gets_no_second_line():
    body = render(sms_templates={"en": "{store}: back to {cart}: {link} Text STOP to unsubscribe"}).body
    assert body.endswith("Text STOP to unsubscribe") and "Reply STOP" not in body


def test_a_product_called_stop_does_not_remove_the_opt_out_line():
    body = render(lines=[("STOP", 1)]).body
    assert body.endswith("Reply STOP to opt out.")


def test_the_opt_out_line_is_kept_after_the_first_text():
    rendered = render_recovery(settings(), "en", store="Alpha Goods", first_name="Maria", lines=LINES,
                               link=LINK, first_text=False)
    assert rendered.body.endswith("Reply STOP to opt out.")


def test_unknown_language_falls_back_to_english():
    assert render("it").body == render("en").body
    assert render("").body == render("en").body


def test_regional_language_uses_its_language():
    assert render("es-MX").body == render("es").body
    assert render("FR_ca").body == render("fr").body


def test_titles_lose_control_characters_and_are_capped():
    title = "Linen\tshirt\u202e\x07  in\n  sand " + "very long words " * 5
    body = render(lines=[(title, 1)], sms_max_segments=6).body
    summary = body.split("you left ")[1].split(" in your cart")[0]
    assert summary.startswith("Linen shirt in sand very long")
    assert len(summary) == templates.MAX_TITLE_LENGTH and summary.endswith("...")
    assert "\t" not in body and "\u202e" not in body and "\x07" not in body


def test_data_in_braces_is_never_read_as_a_placeholder():
    body = render(lines=[("{link}", 1)], first_name="{store}").body
    assert body.count(LINK) == 1 and "you left {link} in" in body and "Hi {store}," in body


def test_non_gsm_title_turns_the_text_ucs2():
    rendered = render(lines=[("Café crème ☕", 1)], sms_max_segments=6)
    assert rendered.encoding == UCS2 and "Café crème ☕" in rendered.body
    assert rendered.units == len(rendered.body)
    emoji = render(lines=[("Tee 🍵", 1)], sms_max_segments=6)
    assert emoji.units == len(emoji.body) + 1  # the emoji is two UTF-16 units


def test_shortening_may_drop_the_title_that_made_it_ucs2():
    rendered = render(lines=[("Café crème ☕", 1)], sms_max_segments=2)
    assert rendered.encoding == GSM7 and rendered.within_limit and "you left 1 item in" in rendered.body


@pytest.mark.parametrize("template,message", [
    ("Come back soon", "must contain {link}"),
    ("   ", "must be 1 to 480 characters"),
    ("{link}" + "x" * 475, "must be 1 to 480 characters"),
    ("Hi {name}: {link}", "unknown placeholder {name}"),
    ("Hi {first_name}: {link} {}", "unknown placeholder {}"),
    ("Deal {link} :-}", "braces may only surround a placeholder"),
    ("{{link}}", "braces may only surround a placeholder"),
    ("Bell\x07 {link}", "control characters"),
    (42, "must be text"),
])
def test_templates_are_checked_with_a_clear_message(template, message):
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        check_template(template)


def test_a_template_is_stripped_and_may_span_lines():
    assert check_template("  Hi {first_name}\r\nYour cart: {link}  ") == "Hi {first_name}\nYour cart: {link}"
