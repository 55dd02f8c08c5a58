import pytest
from cryptography.fernet import Fernet, InvalidToken

from app.crypto import Keyring


def test_first_key_encrypts_all_keys_decrypt():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Keyring((old,)).encrypt("+12015550123")
    rotated = Keyring((new, old))
    assert rotated.decrypt(token) == "+12015550123"
    assert Keyring((new,)).decrypt(rotated.rotate(token)) == "+12015550123"
    with pytest.raises(InvalidToken):
        Keyring((new,)).decrypt(token)


def test_lookup_hash_survives_rotation_and_hides_value():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = Keyring((old,)).lookup_hash("+12015550123")
    assert Keyring((new, old)).lookup_hash("+12015550123") == before
    assert "2015550123" not in before
    assert Keyring((old,), lookup_key="explicit").lookup_hash("+12015550123") != before
