"""The room key format (docs/e2ee.md) in Python: decoding, derivation,
key indexes. The derived-key vector is also produced by livekit-client in
node (web/test/e2ee-vector.mjs); t/950-bot-keyformat.t compares the two."""

import unittest

from bedrud_bot import keys

# RFC 5869, appendix A.1
RFC_IKM = bytes([0x0b] * 22)
RFC_SALT = bytes(range(13))
RFC_INFO = bytes(range(0xf0, 0xfa))
RFC_OKM = ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
           "34007208d5b887185865")

# docs/e2ee.md, "Test vector"
VECTOR_LINK = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
VECTOR_FRAME_KEY = "6d0dd7b3d6f4efde47ab9a9e15abde76"


class Derivation(unittest.TestCase):
    def test_hkdf_is_rfc5869(self):
        self.assertEqual(keys.hkdf_sha256(RFC_IKM, RFC_SALT, RFC_INFO, 42).hex(),
                         RFC_OKM)

    def test_vector(self):
        room = keys.decode_key(VECTOR_LINK)
        self.assertEqual(room, bytes(range(32)))
        self.assertEqual(keys.frame_key(room).hex(), VECTOR_FRAME_KEY)

    def test_parameters(self):
        self.assertEqual(keys.RATCHET_SALT, b"LKFrameEncryptionKey")
        self.assertEqual(keys.HKDF_INFO, bytes(128))
        self.assertEqual(keys.AES_KEY_BYTES, 16)
        self.assertEqual(keys.KEY_RING_SIZE, 16)

    def test_another_key_another_frame_key(self):
        a = keys.frame_key(bytes(32))
        b = keys.frame_key(bytes(31) + b"\x01")
        self.assertEqual(len(a), 16)
        self.assertNotEqual(a, b)


class Encoding(unittest.TestCase):
    def test_round_trip(self):
        for raw in (bytes(32), bytes(range(32)), bytes([255] * 32)):
            text = keys.encode_key(raw)
            self.assertEqual(len(text), 43)
            self.assertNotIn("=", text)
            self.assertEqual(keys.decode_key(text), raw)

    def test_bad(self):
        for text, why in (("", "empty"),
                          ("A" * 42, "42 characters"),
                          ("A" * 44, "44 characters"),
                          ("A" * 42 + "+", "base64url"),
                          ("A" * 42 + "/", "base64url"),
                          ("A" * 41 + "A=", "base64url"),
                          ("A" * 42 + "B", "damaged")):
            with self.subTest(text=text):
                with self.assertRaises(keys.BadKey) as e:
                    keys.decode_key(text)
                self.assertRegex(str(e.exception),
                                 {"empty": "empty", "42 characters": "42 char",
                                  "44 characters": "44 char",
                                  "base64url": "base64url",
                                  "damaged": "damaged"}[why])

    def test_last_character(self):
        # 43 characters carry 258 bits: only A, Q, g, w can end a key
        for c in "AQgw":
            keys.decode_key("A" * 42 + c)
        with self.assertRaises(keys.BadKey):
            keys.decode_key("A" * 42 + "x")


class FakeSdk:
    def __init__(self):
        self.calls = []

    def set_key(self, key, index):
        self.calls.append(("set", key[:1], index))

    def send_with(self, index):
        self.calls.append(("send", index))


class Ring(unittest.TestCase):
    def test_install_and_switch(self):
        sdk = FakeSdk()
        ring = keys.KeyRing(sdk)
        ring.install(b"\x01" * 32, 0)
        ring.switch(0)
        self.assertEqual(ring.sending, 0)
        # a rotation: the new key at the next index, then sending with it
        nxt = ring.next_index(0)
        ring.install(b"\x02" * 32, nxt)
        self.assertEqual(ring.sending, 0, "installing does not switch")
        ring.switch(nxt)
        ring.switch(nxt)                    # once only
        self.assertEqual(sdk.calls, [("set", b"\x01", 0), ("send", 0),
                                     ("set", b"\x02", 1), ("send", 1)])
        self.assertTrue(ring.holds(0), "the old key stays for late frames")
        self.assertEqual(ring.indexes(), [0, 1])

    def test_wraps(self):
        self.assertEqual(keys.KeyRing.next_index(15), 0)
        self.assertEqual(keys.KeyRing.next_index(7), 8)

    def test_refuses(self):
        ring = keys.KeyRing(FakeSdk())
        for bad in (-1, 16, 255, "1", None):
            with self.assertRaises(keys.BadKey):
                ring.install(bytes(32), bad)
        with self.assertRaises(keys.BadKey):
            ring.install(bytes(16), 0)
        with self.assertRaises(keys.BadKey):
            ring.switch(3)                  # no key there


if __name__ == "__main__":
    unittest.main()
