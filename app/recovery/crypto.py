"""Encryption at rest for backup files: AES-GCM over fixed-size chunks, streamed in bounded memory.

A single GCM message over a whole dump would release unauthenticated plaintext before its tag is checked.
Instead each chunk is its own AES-GCM message (the STREAM construction): its nonce is a random per-file
prefix, the chunk's counter and a last-chunk flag, and the file header is its associated data. So every
chunk is authenticated before it is used, chunks cannot be reordered or swapped between files, and a
truncated file is detected because its flagged last chunk is missing.

File layout: MAGIC (8) | key id (8) | nonce prefix (7) | frames; frame = length (4, big endian) | ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.recovery.errors import DecryptionFailed, RecoveryConfigError

MAGIC = b"TCBKENC1"
ALGORITHM = "AES-256-GCM-STREAM"
CHUNK_BYTES = 1024 * 1024
_KEY_ID_BYTES = 8
_PREFIX_BYTES = 7
_HEADER_BYTES = len(MAGIC) + _KEY_ID_BYTES + _PREFIX_BYTES
_TAG_BYTES = 16
_FRAME = struct.Struct(">I")


def parse_key(text: str) -> bytes:
    """Decode BACKUP_ENCRYPTION_KEY (base64 of 32 random bytes).

    Raises:
        RecoveryConfigError: the text is not base64 of a 32-byte key.
    """
    cleaned = text.strip()
    altchars = b"-_" if "-" in cleaned or "_" in cleaned else None  # accept the URL-safe alphabet too
    try:
        key = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=altchars, validate=True)
    except (binascii.Error, ValueError) as err:
        raise RecoveryConfigError(
            "BACKUP_ENCRYPTION_KEY is not base64; make one with: openssl rand -base64 32"
        ) from err
    if len(key) != 32:
        raise RecoveryConfigError(
            f"BACKUP_ENCRYPTION_KEY decodes to {len(key)} bytes but AES-256 needs 32; "
            "make one with: openssl rand -base64 32"
        )
    return key


def key_id(key: bytes) -> str:
    """A short fingerprint naming the key (not derived in a way that helps guess it), stored with each backup."""
    return hashlib.sha256(b"todochat-backup-key-id:" + key).hexdigest()[: 2 * _KEY_ID_BYTES]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def encrypt_chunks(chunks: Iterable[bytes], key: bytes) -> Iterator[bytes]:
    """Encrypt a stream of plaintext chunks (each at most CHUNK_BYTES) into the file layout above."""
    aead = AESGCM(key)
    prefix = os.urandom(_PREFIX_BYTES)
    header = MAGIC + bytes.fromhex(key_id(key)) + prefix
    yield header
    counter = 0
    for chunk in chunks:
        for start in range(0, len(chunk), CHUNK_BYTES):
            sealed = aead.encrypt(_nonce(prefix, counter, False), chunk[start : start + CHUNK_BYTES], header)
            yield _FRAME.pack(len(sealed)) + sealed
            counter += 1
    # An empty flagged chunk closes the stream, so truncation at a frame boundary is detected.
    sealed = aead.encrypt(_nonce(prefix, counter, True), b"", header)
    yield _FRAME.pack(len(sealed)) + sealed


def is_encrypted(path: os.PathLike[str] | str) -> bool:
    """Whether the file starts with the encrypted-backup magic."""
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def decrypt_file(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    """Yield the authenticated plaintext chunks of an encrypted backup.

    Raises:
        DecryptionFailed: wrong key, a damaged or truncated file, or not an encrypted backup.
    """
    header = source.read(_HEADER_BYTES)
    if len(header) != _HEADER_BYTES or not header.startswith(MAGIC):
        raise DecryptionFailed("the backup file is not an encrypted todochat backup (bad header)")
    stored_id = header[len(MAGIC) : len(MAGIC) + _KEY_ID_BYTES].hex()
    if stored_id != key_id(key):
        raise DecryptionFailed(
            f"wrong BACKUP_ENCRYPTION_KEY: the backup was encrypted with key id {stored_id}, "
            f"the configured key has id {key_id(key)}"
        )
    aead = AESGCM(key)
    prefix = header[-_PREFIX_BYTES:]
    counter = 0
    while True:
        size_bytes = source.read(_FRAME.size)
        if len(size_bytes) < _FRAME.size:
            raise DecryptionFailed("the encrypted backup is truncated (its closing chunk is missing)")
        (size,) = _FRAME.unpack(size_bytes)
        if size < _TAG_BYTES or size > CHUNK_BYTES + _TAG_BYTES:
            raise DecryptionFailed(f"the encrypted backup is damaged (chunk {counter} has an impossible size)")
        sealed = source.read(size)
        if len(sealed) != size:
            raise DecryptionFailed("the encrypted backup is truncated (a chunk ends early)")
        last = size == _TAG_BYTES and _try_last(aead, prefix, counter, sealed, header)
        if last:
            if source.read(1):
                raise DecryptionFailed("the encrypted backup is damaged (data after its closing chunk)")
            return
        try:
            yield aead.decrypt(_nonce(prefix, counter, False), sealed, header)
        except InvalidTag as err:
            raise DecryptionFailed(f"the encrypted backup is damaged (chunk {counter} fails authentication)") from err
        counter += 1


def _try_last(aead: AESGCM, prefix: bytes, counter: int, sealed: bytes, header: bytes) -> bool:
    try:
        aead.decrypt(_nonce(prefix, counter, True), sealed, header)
    except InvalidTag:
        return False
    return True
