"""Personal information (个人信息保护法): masking for display, encryption at rest, keyed hashes.

Masking and validation are pure. Encryption uses AES-256-GCM with a random nonce per value; the
keyed hash (HMAC-SHA256) of an ID number finds the same person across cases without decrypting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gridcase.messages import Message
from gridcase.text import ascii_digits, normalised

_LEGACY_FORMAT = b"\x01"
_FORMAT_VERSION = b"\x02"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,19}$")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the first character, the rest as stars."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(id_number: str) -> str:
    """110105199001010123 → 110105********0123: region code and last four kept."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """13812348000 → 138****8000."""
    digits = phone.strip()
    if len(digits) < 8:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def normalised_id_number(id_number: str) -> str:
    """An ID number as stored and hashed: NFKC (full-width digits become 0-9), upper case."""
    return normalised(id_number).upper()


def id_number_problem(id_number: str) -> str | None:
    """Why a resident ID number (居民身份证号码, GB 11643) is not valid, or None when it is.
    Only the digits 0-9 count: another script's digits would hash differently and let the same
    person pass for another (the repeat-party alert)."""
    value = normalised_id_number(id_number)
    if len(value) == 15:
        return None if ascii_digits(value) else Message("a 15-digit ID number has digits only")
    if len(value) != 18 or not ascii_digits(value[:17]) or value[17] not in "0123456789X":
        return Message("an ID number has 18 characters: 17 digits and a final digit or X")
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return Message("the ID number's check digit does not match (a digit is probably mistyped)")
    return None


def phone_problem(phone: str) -> str | None:
    return None if _PHONE.match(phone.strip()) else Message("not a phone number")


def parse_data_keys(spec: str, fallback_key_b64: str) -> list[tuple[int, str]]:
    """ "2:<base64>,1:<base64>" → [(2, key), (1, key)], the current key first. An empty spec
    means the single key GRIDCASE_DATA_KEY with id 1.

    Raises:
        ValueError: a malformed entry.
    """
    if not spec.strip():
        return [(1, fallback_key_b64)]
    keys = []
    for item in spec.split(","):
        key_id, _, key = item.strip().partition(":")
        if not ascii_digits(key_id) or not 1 <= int(key_id) <= 255 or not key:
            raise ValueError("GRIDCASE_DATA_KEYS is a list like 2:<base64 key>,1:<base64 key>")
        keys.append((int(key_id), key))
    return keys


class PersonalDataCipher:
    """Encrypts and decrypts personal fields, and computes look-up hashes, with keys from config.

    Several data keys may be configured for rotation: the first encrypts, every one decrypts.
    A value records the id of its key: b"\x02" + key id + nonce + ciphertext. (Format 1, from
    before rotation, has no key id and is key 1.)
    """

    def __init__(self, data_key_b64: str, lookup_key: str, keys: list[tuple[int, str]] | None = None):
        keys = keys or [(1, data_key_b64)]
        self._keys: dict[int, AESGCM] = {}
        for key_id, key_b64 in keys:
            key = base64.b64decode(key_b64)
            if len(key) != 32:
                raise ValueError(f"data key {key_id} must be 32 bytes, base64-encoded")
            self._keys[key_id] = AESGCM(key)
        self.current_key_id = keys[0][0]
        self._lookup_key = lookup_key.encode()

    def encrypt(self, plaintext: str, field: str) -> bytes:
        return self.encrypt_bytes(plaintext.encode(), field)

    def encrypt_bytes(self, data: bytes, field: str) -> bytes:
        """A file's bytes (an evidence recording, a scan), sealed like a text field."""
        nonce = os.urandom(12)
        sealed = self._keys[self.current_key_id].encrypt(nonce, data, field.encode())
        return _FORMAT_VERSION + bytes([self.current_key_id]) + nonce + sealed

    @staticmethod
    def key_id(token: bytes) -> int:
        """The id of the key a value was encrypted with."""
        token = bytes(token)
        if token[:1] == _FORMAT_VERSION:
            return token[1]
        if token[:1] == _LEGACY_FORMAT:
            return 1
        raise ValueError("unknown encrypted-field format")

    def decrypt(self, token: bytes, field: str) -> str:
        return self.decrypt_bytes(token, field).decode()

    def decrypt_bytes(self, token: bytes, field: str) -> bytes:
        token = bytes(token or b"")
        if token[:1] == _FORMAT_VERSION:
            key_id, body = token[1], token[2:]
        elif token[:1] == _LEGACY_FORMAT:
            key_id, body = 1, token[1:]
        else:
            raise ValueError("unknown encrypted-field format")
        if key_id not in self._keys:
            raise ValueError(f"data key {key_id} is not configured (GRIDCASE_DATA_KEYS)")
        return self._keys[key_id].decrypt(body[:12], body[12:], field.encode())

    def signature(self, value: str) -> str:
        """A keyed HMAC-SHA256 of the exact text (no normalising, unlike lookup_hash): for values
        the app signs and must get back unchanged, such as a public page's challenge."""
        return hmac.new(self._lookup_key, b"signature:" + value.encode(), hashlib.sha256).hexdigest()

    def lookup_hash(self, value: str) -> str:
        normalised = value.strip().upper().encode()
        return hmac.new(self._lookup_key, normalised, hashlib.sha256).hexdigest()


def init_cipher(app) -> None:
    """Build the app's cipher from its configuration (GRIDCASE_DATA_KEY(S), GRIDCASE_LOOKUP_KEY);
    domain code reaches it through gridcase.settings.cipher()."""
    app.extensions["gridcase.cipher"] = PersonalDataCipher(
        app.config["GRIDCASE_DATA_KEY"],
        app.config["GRIDCASE_LOOKUP_KEY"],
        parse_data_keys(app.config.get("GRIDCASE_DATA_KEYS", ""), app.config["GRIDCASE_DATA_KEY"]),
    )
