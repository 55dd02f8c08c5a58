import pytest
from cryptography.fernet import Fernet, InvalidToken

from app.crypto import Keyring


@pytest.mark.promise("encryption-at-rest")
def test_first_key_encrypts_all_keys_decrypt():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Keyring((old,)).encrypt("+12015550123")
    rotated = Keyring((new, old))
    assert rotated.decrypt(token) == "+12015550123"
    assert Keyring((new,)).decrypt(rotated.rotate(token)) == "+12015550123"
    with pytest.raises(InvalidToken):
        Keyring((new,)).decrypt(token)


@pytest.mark.promise("encryption-at-rest")
def test_lookup_hash_survives_rotation_and_hides_value():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = Keyring((old,)).lookup_hash("+12015550123")
    assert Keyring((new, old)).lookup_hash("+12015550123") == before
    assert "2015550123" not in before
    assert Keyring((old,), lookup_key="explicit").lookup_hash("+12015550123") != before


@pytest.mark.promise("encryption-at-rest")
def test_encrypted_json_round_trips_and_is_stored_as_a_token(app):
    from app.crypto import EncryptedJSON, keyring

    column = EncryptedJSON()
    lines = [{"title": "Hat", "quantity": 2}]
    stored = column.process_bind_param(lines, None)
    assert stored.startswith("gAAAA") and "Hat" not in stored
    assert column.process_result_value(stored, None) == lines
    assert keyring().decrypt(stored) == '[{"quantity":2,"title":"Hat"}]'
    assert column.process_bind_param(None, None) is None and column.process_result_value(None, None) is None


def test_a_compressed_token_is_smaller_reads_back_and_survives_rotation():
    from cryptography.fernet import Fernet

    from app.crypto import Keyring

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    items = ", ".join(f'{{"title": "Item {i}", "price": "10.00"}}' for i in range(40))
    text = '{"line_items": [' + items + "]}"
    keyring = Keyring((old_key,))
    compressed, plain = keyring.encrypt(text, compress=True), keyring.encrypt(text)
    assert len(compressed) < len(plain) / 2
    assert keyring.decrypt(compressed) == keyring.decrypt(plain) == text
    rotated = Keyring((new_key, old_key)).rotate(compressed)
    assert Keyring((new_key,)).decrypt(rotated) == text


def test_tokens_written_before_compression_still_read():
    from cryptography.fernet import Fernet

    from app.crypto import Keyring

    key = Fernet.generate_key()
    earlier = Fernet(key).encrypt("ünïcode {}".encode()).decode()  # how every token used to be made
    assert Keyring((key.decode(),)).decrypt(earlier) == "ünïcode {}"
