"""WeChat's message encryption (the WXBizMsgCrypt scheme) written from the published
algorithm with `cryptography` primitives only: the simulator must be an implementation
independent of the wechatpy-based receiver it tests.

  AESKey   = Base64_Decode(EncodingAESKey + "=")            (32 bytes)
  FullStr  = random(16) + len(msg) as 4 bytes big-endian + msg + AppID
  Encrypt  = Base64(AES-256-CBC(PKCS#7 to a multiple of 32 bytes, IV = AESKey[:16]))
  signatures: hex SHA-1 of the strings sorted and concatenated
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from typing import Optional, Tuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ENCODING_AES_KEY_LENGTH = 43
RANDOM_BYTES = 16
# WeChat pads to 32 bytes, not to the AES block size (16).
PAD_BLOCK = 32


class CryptoError(ValueError):
    """A ciphertext that does not decrypt to a well-formed FullStr, or a wrong AppID."""


def sha1_signature(*parts: str) -> str:
    """signature (token, timestamp, nonce) and msg_signature (the same plus Encrypt)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key behind the console's 43-character EncodingAESKey."""
    if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH or not encoding_aes_key.isalnum():
        raise ValueError("an EncodingAESKey is 43 characters from [a-zA-Z0-9]")
    return base64.b64decode(encoding_aes_key + "=")


def pad(data: bytes) -> bytes:
    count = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([count]) * count


def unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    count = data[-1]
    if not 1 <= count <= PAD_BLOCK or data[-count:] != bytes([count]) * count:
        raise CryptoError("bad PKCS#7 padding")
    return data[:-count]


def _cipher(key: bytes) -> Cipher:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(key: bytes, app_id: str, message: bytes,
            random: Optional[bytes] = None) -> str:
    """The text of <Encrypt> for `message`; `random` fixes the 16 leading bytes (the
    published vectors print theirs)."""
    random = os.urandom(RANDOM_BYTES) if random is None else random
    if len(random) != RANDOM_BYTES:
        raise ValueError("the random prefix is 16 bytes")
    full = random + struct.pack(">I", len(message)) + message + app_id.encode("utf-8")
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(pad(full)) + encryptor.finalize()).decode("ascii")


def decrypt(key: bytes, encrypted: str) -> Tuple[bytes, str]:
    """(message, the AppID at its end) from the text of <Encrypt>."""
    try:
        ciphertext = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("not base64") from None
    if not ciphertext or len(ciphertext) % 16:
        raise CryptoError("not a whole number of AES blocks")
    decryptor = _cipher(key).decryptor()
    full = unpad(decryptor.update(ciphertext) + decryptor.finalize())
    if len(full) < RANDOM_BYTES + 4:
        raise CryptoError("too short")
    (length,) = struct.unpack(">I", full[RANDOM_BYTES:RANDOM_BYTES + 4])
    message = full[RANDOM_BYTES + 4:RANDOM_BYTES + 4 + length]
    if len(message) != length:
        raise CryptoError("length prefix beyond the plaintext")
    try:
        app_id = full[RANDOM_BYTES + 4 + length:].decode("utf-8")
    except UnicodeDecodeError:
        raise CryptoError("AppID is not UTF-8") from None
    return message, app_id


def decrypt_for(key: bytes, app_id: str, encrypted: str) -> bytes:
    """The message, provided it was encrypted for `app_id`."""
    message, found = decrypt(key, encrypted)
    if found != app_id:
        raise CryptoError("encrypted for another AppID")
    return message
