"""SMS segments counted as carriers and Twilio bill them: GSM-7 septets or UCS-2 code units."""

import pytest

from app.sms.segments import GSM7, UCS2, count

CYRILLIC = "ж"  # outside GSM-7, inside the Basic Multilingual Plane: one UTF-16 unit
EMOJI = "😀"  # outside the BMP: a surrogate pair, two UTF-16 units


def test_empty_text_takes_no_segment():
    counted = count("")
    assert (counted.encoding, counted.segments, counted.units) == (GSM7, 0, 0)


def test_plain_text_is_gsm7_one_septet_a_character():
    counted = count("Hello world")
    assert (counted.encoding, counted.segments, counted.units, counted.remaining) == (GSM7, 1, 11, 149)


def test_gsm7_160_fits_one_segment():
    counted = count("a" * 160)
    assert (counted.segments, counted.units, counted.per_segment, counted.remaining) == (1, 160, 160, 0)


def test_gsm7_161_takes_two_segments():
    counted = count("a" * 161)
    assert (counted.segments, counted.units, counted.per_segment) == (2, 161, 153)
    assert counted.remaining == 2 * 153 - 161


def test_gsm7_306_and_307_boundary():
    assert count("a" * 306).segments == 2
    assert count("a" * 307).segments == 3
    assert count("a" * 459).segments == 3 and count("a" * 460).segments == 4


def test_every_basic_gsm7_character_counts_one():
    basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà"
    counted = count(basic)
    assert counted.encoding == GSM7 and counted.units == len(basic)


def test_extension_chars_count_two():
    extension = "^{}\\[~]|€\f"
    counted = count(extension)
    assert counted.encoding == GSM7 and counted.units == 2 * len(extension)
    assert count("€" * 80).segments == 1
    assert count("€" * 81).segments == 2


def test_an_escape_is_never_split_from_its_character():
    # 152 + 2 does not fit a 153-septet part: the euro moves to the second part, which then
    # overflows by one, so 306 septets take three parts.
    counted = count("a" * 152 + "€" + "a" * 152)
    assert counted.units == 306 and counted.segments == 3


@pytest.mark.parametrize("character", ["á", "í", "ó", "ú", "ç", "ê", "’", "“", "…", "×", CYRILLIC])
def test_one_character_outside_gsm7_makes_it_ucs2(character):
    counted = count("Your cart is waiting " + character)
    assert counted.encoding == UCS2 and counted.units == 22


def test_ucs2_70_and_71_boundary():
    one = count(CYRILLIC * 70)
    assert (one.encoding, one.segments, one.per_segment, one.remaining) == (UCS2, 1, 70, 0)
    two = count(CYRILLIC * 71)
    assert (two.segments, two.per_segment) == (2, 67)


def test_ucs2_134_and_135_boundary():
    assert count(CYRILLIC * 134).segments == 2
    assert count(CYRILLIC * 135).segments == 3


def test_emoji_counts_two_units():
    counted = count(EMOJI)
    assert (counted.encoding, counted.units, counted.segments) == (UCS2, 2, 1)
    assert count(EMOJI * 35).segments == 1
    assert count(EMOJI * 36).segments == 2


def test_ucs2_never_splits_a_surrogate_pair():
    # The emoji would straddle the end of the first 67-unit part: it opens the second instead.
    counted = count("a" * 66 + EMOJI + "a" * 66)
    assert counted.units == 134 and counted.segments == 3


def test_remaining_is_what_the_last_part_still_holds():
    counted = count("a" * 200)
    assert counted.segments == 2 and counted.remaining == 153 - (200 - 153)
