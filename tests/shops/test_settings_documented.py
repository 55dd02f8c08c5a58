"""Every merchant setting is documented in the README's settings table."""

from pathlib import Path

from app.shops.settings import FIELDS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme_table():
    text = README.read_text()
    missing = [name for name in FIELDS if f"`{name}`" not in text]
    assert not missing, f"document these settings in README.md: {missing}"
