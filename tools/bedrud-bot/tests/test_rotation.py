"""Key rotation in Python (bedrud_bot.rotation): the sealed key message with
the web client's fixed vector (web/test/unit/rotation.test.ts), and the
follower's index handling, switch delay, grace and ties on a fake clock."""

import unittest

from bedrud_bot import keys, rotation

OLD = bytes(range(32))
NEW = bytes(range(0x20, 0x40))
NONCE = bytes(range(0xa0, 0xb0))
ROOM = "vector-room"
VECTOR = {
    "type": "bedrud-key", "v": 1, "from": 0, "index": 1,
    "nonce": "oKGio6SlpqeoqaqrrK2urw",
    "key": "iZ1fYanmsLxCW4fV9fx8ItWvzTb8FrZ5Q6F_jLILonI",
    "after": ["guest-carol123"],
    "tag": "h_3P9UdE4wT0Gaj1vrlAD6R48vE54ZDwatJsf_sLHqM",
}


def encode(m):
    import json
    return json.dumps(m).encode()


class Message(unittest.TestCase):
    def test_sealing_keys(self):
        pad, mac = rotation.sealing_keys(OLD, ROOM)
        self.assertEqual(pad.hex(), "d70f2e2c14c7038dfa85a3d27bd695f8"
                                    "ceca2ada0b8c2a606524c376a2df1168")
        self.assertEqual(mac.hex(), "6e75abf073b8757e63dbfb0c00bb41a1"
                                    "7c69b2f1b7b14772cec119d57c757a58")

    def test_seals_the_web_clients_vector(self):
        self.assertEqual(rotation.seal_key(OLD, 0, NEW, 1, ROOM, NONCE,
                                           ["guest-carol123"]), VECTOR)

    def test_opens_it_with_the_key_that_sealed_it_only(self):
        m = rotation.parse_message(encode(VECTOR))
        self.assertEqual(rotation.open_key(m, [bytes(32), OLD], ROOM), NEW)
        self.assertIsNone(rotation.open_key(m, [bytes(32)], ROOM))
        self.assertIsNone(rotation.open_key(m, [OLD], "other-room"))
        for change in ({"after": []}, {"after": ["guest-carol124"]},
                       {"key": "A" + VECTOR["key"][1:]}):
            self.assertIsNone(rotation.open_key({**m, **change}, [OLD], ROOM))

    def test_refuses_malformed_messages(self):
        for bad in ({**VECTOR, "v": 2}, {**VECTOR, "index": 2},
                    {**VECTOR, "from": True}, {**VECTOR, "type": "system"},
                    {**VECTOR, "after": "x"}, {**VECTOR, "after": [""]},
                    {**VECTOR, "after": ["x"] * 17}, {**VECTOR, "key": 1}):
            self.assertIsNone(rotation.parse_message(encode(bad)), bad)
        self.assertIsNone(rotation.parse_message(b"\xff"))
        self.assertIsNone(rotation.parse_message(b"[]"))
        self.assertIsNone(rotation.parse_message(b" " * 1025))

    def test_ring_and_ties(self):
        self.assertEqual(rotation.next_index(15), 0)
        self.assertEqual(rotation.ahead(15, 0), 1)
        self.assertEqual(rotation.ahead(0, 8), 0)
        self.assertEqual(rotation.ahead(3, 2), 0)
        # SHA-256(00..1f) = 630d..., SHA-256(20..3f) = 72db...
        self.assertTrue(rotation.wins(OLD, NEW))
        self.assertFalse(rotation.wins(NEW, OLD))


class Clock:
    def __init__(self):
        self.t = 100.0
        self.tasks = []

    def later(self, secs, fn):
        task = [self.t + secs, fn, False]
        self.tasks.append(task)

        class Handle:
            def cancel(self_):
                task[2] = True
        return Handle()

    def run(self, secs):
        end = self.t + secs
        while True:
            due = sorted((x for x in self.tasks if not x[2] and x[0] <= end),
                         key=lambda x: x[0])
            if not due:
                break
            task = due[0]
            task[2] = True
            self.t = task[0]
            task[1]()
        self.t = end


class Sdk:
    def __init__(self):
        self.slots = {}
        self.sending = None

    def set_key(self, key, index):
        self.slots[index] = key

    def send_with(self, index):
        self.sending = index


class Follower(unittest.TestCase):
    def setUp(self):
        self.clock = Clock()
        self.sdk = Sdk()
        self.ring = keys.KeyRing(self.sdk)
        self.ring.install(OLD, 0)
        self.ring.switch(0)
        self.told = []
        self.f = rotation.Follower(self.ring, ROOM, OLD, 0, self.clock.later,
                                   lambda: self.clock.t, self.told.append)

    def test_a_rotation(self):
        self.f.removed("guest-carol123")
        self.clock.run(0.05)
        self.assertEqual(self.f.received("alice", 0.0, encode(VECTOR)), "newer")
        self.assertEqual(self.sdk.slots[1], NEW)
        self.assertEqual(self.ring.sending, 0)          # not yet
        self.assertEqual(self.f.holding(), [0, 1])
        self.clock.run(rotation.SWITCH_DELAY - 0.01)
        self.assertEqual(self.ring.sending, 0)
        self.clock.run(0.02)
        self.assertEqual(self.ring.sending, 1)
        self.assertEqual(self.sdk.slots[0], OLD)         # the grace
        self.clock.run(rotation.GRACE)
        self.assertEqual(self.f.holding(), [1])
        self.assertNotEqual(self.sdk.slots[0], OLD)      # dropped
        self.assertFalse(self.ring.holds(0))
        self.assertRegex(self.told[0], "key index 1")

    def test_replays_and_the_server_change_nothing(self):
        self.assertEqual(self.f.received("alice", 0.0, encode(VECTOR)), "newer")
        self.assertIsNone(self.f.received("alice", 0.0, encode(VECTOR)))
        self.clock.run(5)
        # sealed with the dropped key: cannot be opened
        stale = rotation.seal_key(OLD, 15, bytes(32), 0, ROOM, NONCE)
        self.assertIsNone(self.f.received("alice", 0.0, encode(stale)))
        nxt = rotation.seal_key(NEW, 1, bytes(range(64, 96)), 2, ROOM, NONCE)
        self.assertEqual(self.f.received("alice", 0.0, encode(nxt)), "newer")
        self.assertEqual(self.f.current[1], 2)

    def test_the_removed_one_back_can_send_no_key(self):
        self.f.removed("guest-carol123")
        self.clock.run(1)
        forged = rotation.seal_key(OLD, 0, bytes(32), 1, ROOM, NONCE)
        # back under a new name, after the removal
        self.assertIsNone(self.f.received("guest-carol999", self.clock.t, encode(forged)))
        # the removed session itself (seen before its removal)
        self.assertIsNone(self.f.received("guest-carol123", 0.0, encode(forged)))
        self.assertEqual(self.f.current[1], 0)

    def test_a_tie_is_won_by_the_smaller_sha256(self):
        # two keys for index 1: 20..3f first, then 00..1f, which wins
        other = rotation.seal_key(OLD, 0, OLD, 1, ROOM, NONCE)
        self.assertEqual(self.f.received("alice", 0.0, encode(VECTOR)), "newer")
        self.assertEqual(self.f.received("bob", 0.0, encode(other)), "replaced")
        self.assertEqual(self.sdk.slots[1], OLD)
        # the other way round: the loser is kept only to open messages
        self.assertIsNone(self.f.received("alice", 0.0, encode(VECTOR)))
        self.assertEqual(self.f.current, (OLD, 1))
        self.clock.run(rotation.SWITCH_DELAY + 0.01)
        self.assertEqual(self.ring.sending, 1)


if __name__ == "__main__":
    unittest.main()
