"""The room key of an E2EE meeting, and how it becomes LiveKit's frame key.

docs/e2ee.md is the specification; this module is its executable form, free
of the SDK so that the unit tests can check it against fixed vectors.

The web client (web/src/e2ee.ts) makes 32 random bytes, puts them base64url
without padding after "#key=" in the link, and gives the raw bytes to
livekit-client's ExternalE2EEKeyProvider.setKey(ArrayBuffer): a shared key,
derived with HKDF-SHA-256 (salt "LKFrameEncryptionKey", info 128 zero bytes)
into an AES-128-GCM key, at key index 0.
"""

import base64
import hashlib
import hmac
import os
import re

KEY_BYTES = 32
KEY_TEXT_LEN = 43                      # base64url of 32 bytes, no padding
RATCHET_SALT = b"LKFrameEncryptionKey"
HKDF_INFO = bytes(128)
AES_KEY_BYTES = 16                     # livekit-client keySize 128
KEY_RING_SIZE = 16                     # key indexes 0..15

_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class BadKey(ValueError):
    """A key that cannot be a room key (bad encoding or length)."""


def decode_key(text):
    """The 32 key bytes from the text after "#key=", or BadKey."""
    if not text:
        raise BadKey("the link has an empty key")
    if not _B64URL.match(text):
        raise BadKey("the key in the link is not base64url "
                        "(letters, digits, '-' and '_' only)")
    if len(text) != KEY_TEXT_LEN:
        raise BadKey("the key in the link has %d characters, not %d: "
                        "was the link cut short?" % (len(text), KEY_TEXT_LEN))
    raw = base64.urlsafe_b64decode(text + "=")
    # 43 characters hold 258 bits: the last 2 must be zero, as the browser's
    # btoa() writes them; anything else is not a key it made
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text:
        raise BadKey("the key in the link is damaged (its last "
                        "character is not one a 32-byte key can end with)")
    return raw


def encode_key(raw):
    """The link text of 32 key bytes (what the web client's newRoomKey makes)."""
    if len(raw) != KEY_BYTES:
        raise BadKey("a room key is %d bytes" % KEY_BYTES)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hkdf_sha256(ikm, salt, info, length):
    """RFC 5869 HKDF with SHA-256 (what WebCrypto's deriveBits/deriveKey do)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def frame_key(room_key, salt=RATCHET_SALT):
    """The AES-128-GCM key that encrypts frames and data packets."""
    return hkdf_sha256(room_key, salt, HKDF_INFO, AES_KEY_BYTES)


def check_index(index):
    if not isinstance(index, int) or not 0 <= index < KEY_RING_SIZE:
        raise BadKey("a key index is 0..%d" % (KEY_RING_SIZE - 1))
    return index


class KeyRing:
    """The room keys this participant holds, by key index, and the index it
    sends with.

    Every encrypted frame and data packet names its key index in its last
    byte; a receiver decrypts it with the key it holds at that index, so it
    follows a sender's index change by itself, as long as it holds the key.
    A rotation (issue 9) installs the new key at the next index, switches the
    sending index a little later, and keeps the old key for a grace period:
    with 16 slots the old key stays until the index comes round again.

    `sdk` applies the changes: set_key(key, index) and send_with(index).
    """

    def __init__(self, sdk):
        self._sdk = sdk
        self._keys = {}
        self.sending = None

    def install(self, key, index):
        """Holds `key` at `index` (replacing what was there)."""
        check_index(index)
        if len(key) != KEY_BYTES:
            raise BadKey("a room key is %d bytes" % KEY_BYTES)
        self._keys[index] = bytes(key)
        self._sdk.set_key(bytes(key), index)

    def switch(self, index):
        """Sends with the key at `index` from now on."""
        check_index(index)
        if index not in self._keys:
            raise BadKey("no key at index %d" % index)
        if self.sending != index:
            self.sending = index
            self._sdk.send_with(index)

    def drop(self, index):
        """Forgets the key at `index`: random bytes nobody has take its place
        in the SDK (which has no removal), so nothing old decrypts any more."""
        check_index(index)
        self._keys.pop(index, None)
        self._sdk.set_key(os.urandom(KEY_BYTES), index)

    def holds(self, index):
        return index in self._keys

    def indexes(self):
        return sorted(self._keys)

    @staticmethod
    def next_index(index):
        """The index a rotation from `index` installs its new key at."""
        return (check_index(index) + 1) % KEY_RING_SIZE
