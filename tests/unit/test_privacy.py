"""Personal data: masks for display, ID number checks, encryption and keyed hashes."""

import base64

import pytest
from cryptography.exceptions import InvalidTag

from gridcase.people.privacy import (
    PersonalDataCipher,
    id_number_problem,
    mask_id_number,
    mask_name,
    mask_phone,
)

KEY = base64.b64encode(b"k" * 32).decode()


def test_masks_match_the_design():
    assert mask_name("张三") == "张*"
    assert mask_name("张三丰") == "张**"
    assert mask_id_number("110105199001010123") == "110105********0123"
    assert mask_phone("13812348000") == "138****8000"


def test_valid_and_invalid_id_numbers():
    assert id_number_problem("11010519491231002X") is None  # the GB 11643 example
    assert "check digit" in id_number_problem("110105194912310021")
    assert "18 characters" in id_number_problem("1101051949")


def test_encryption_round_trip_and_no_plaintext():
    box = PersonalDataCipher(KEY, "lookup")
    sealed = box.encrypt("13812348000", "phone")
    assert b"13812348000" not in sealed
    assert box.decrypt(sealed, "phone") == "13812348000"
    assert box.encrypt("13812348000", "phone") != sealed  # a fresh nonce each time


def test_a_value_cannot_be_moved_to_another_field():
    box = PersonalDataCipher(KEY, "lookup")
    with pytest.raises(InvalidTag):
        box.decrypt(box.encrypt("张三", "name"), "phone")


def test_lookup_hash_is_keyed_and_normalised():
    one = PersonalDataCipher(KEY, "key-one")
    other = PersonalDataCipher(KEY, "key-two")
    assert one.lookup_hash("11010519491231002x") == one.lookup_hash(" 11010519491231002X ")
    assert one.lookup_hash("11010519491231002X") != other.lookup_hash("11010519491231002X")


def test_short_keys_are_refused():
    with pytest.raises(ValueError):
        PersonalDataCipher(base64.b64encode(b"short").decode(), "lookup")
