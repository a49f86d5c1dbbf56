"""The chunked AES-GCM format: pure logic, in memory."""

from __future__ import annotations

import io
import os

import pytest

from app.recovery import crypto
from app.recovery.errors import DecryptionFailed, RecoveryConfigError

KEY = bytes(range(32))


def encrypt(data: bytes, key: bytes = KEY, piece: int = 1000) -> bytes:
    return b"".join(crypto.encrypt_chunks((data[i : i + piece] for i in range(0, len(data), piece)), key))


def decrypt(blob: bytes, key: bytes = KEY) -> bytes:
    return b"".join(crypto.decrypt_file(io.BytesIO(blob), key))


@pytest.mark.parametrize("size", [0, 1, crypto.CHUNK_BYTES, crypto.CHUNK_BYTES * 2 + 17], ids=str)
def test_what_is_encrypted_decrypts_to_the_same_bytes(size: int) -> None:
    data = os.urandom(size)
    assert decrypt(encrypt(data, piece=300_000)) == data


def test_two_encryptions_of_the_same_data_differ() -> None:
    assert encrypt(b"same") != encrypt(b"same")


def test_a_wrong_key_is_named_as_such() -> None:
    with pytest.raises(DecryptionFailed, match="wrong BACKUP_ENCRYPTION_KEY"):
        decrypt(encrypt(b"data"), key=bytes(32))


def test_a_flipped_byte_fails_authentication() -> None:
    blob = bytearray(encrypt(os.urandom(5000)))
    blob[40] ^= 1
    with pytest.raises(DecryptionFailed, match="fails authentication"):
        decrypt(bytes(blob))


def test_a_file_cut_at_a_chunk_boundary_is_truncated_not_silently_short() -> None:
    blob = encrypt(os.urandom(crypto.CHUNK_BYTES + 10), piece=crypto.CHUNK_BYTES)
    closing_frame = 4 + 16
    with pytest.raises(DecryptionFailed, match="truncated"):
        decrypt(blob[:-closing_frame])


def test_data_after_the_closing_chunk_is_refused() -> None:
    with pytest.raises(DecryptionFailed, match="after its closing chunk"):
        decrypt(encrypt(b"data") + b"extra")


def test_a_plain_dump_is_not_taken_for_an_encrypted_one() -> None:
    with pytest.raises(DecryptionFailed, match="not an encrypted"):
        decrypt(b"PGDMP\x01\x0e\x00" + b"\x00" * 40)


@pytest.mark.parametrize(
    ("text", "message"),
    [("not base64!", "not base64"), ("dG9vIHNob3J0", "decodes to 9 bytes")],
    ids=["not-base64", "too-short"],
)
def test_a_malformed_key_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(RecoveryConfigError, match=message):
        crypto.parse_key(text)


def test_standard_and_url_safe_base64_keys_are_the_same_key() -> None:
    import base64

    raw = bytes([251] * 32)
    assert crypto.parse_key(base64.b64encode(raw).decode()) == raw
    assert crypto.parse_key(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
