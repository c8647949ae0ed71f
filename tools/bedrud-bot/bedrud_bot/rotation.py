"""Following a key rotation (issue 9; docs/e2ee.md section 3).

When someone is removed from an E2EE room, a participant's web client makes a
new room key for the next key index and sends it to those still present as a
LiveKit data packet of topic "bedrud-key" (itself encrypted with the current
key), sealed with the current key:

    pad, mac = HKDF-SHA-256(current key, salt "bedrud-key-rotation",
                            info "v1" 00 <room name>, 64 bytes) split in two
    sealed   = new key XOR HMAC-SHA-256(pad, nonce)
    tag      = HMAC-SHA-256(mac, "bedrud-key-v1" 00 from index nonce sealed
                            count (length identity)...)

The bot follows rotations, it never starts one: it holds the new key at once,
sends with it SWITCH_DELAY later, and forgets the older keys GRACE after that,
as the web client (web/src/rotation.ts) does, with the same rules for which
key wins. Pure but for the event loop's timers; the SDK is reached through
keys.KeyRing.
"""

import base64
import hashlib
import hmac
import json

from .keys import KEY_BYTES, KEY_RING_SIZE, hkdf_sha256

KEY_TOPIC = "bedrud-key"
SWITCH_DELAY = 1.0          # seconds from holding a new key to sending with it
GRACE = 3.0                 # seconds from sending with it to dropping the old
MAX_MESSAGE = 1024
MAX_AFTER = 16
NONCE_BYTES = 16
SALT = b"bedrud-key-rotation"
HEADER = b"bedrud-key-v1"


def next_index(i):
    return (i + 1) % KEY_RING_SIZE


def ahead(a, b):
    """How far index b is ahead of a on the ring: 1..7, else 0."""
    d = (b - a) % KEY_RING_SIZE
    return d if 1 <= d < KEY_RING_SIZE // 2 else 0


def sealing_keys(key, room):
    """(pad key, mac key) of a room key, for the room named `room`."""
    okm = hkdf_sha256(key, SALT, b"v1\x00" + room.encode(), 64)
    return okm[:32], okm[32:]


def _tagged(frm, index, nonce, sealed, after):
    ids = [a.encode() for a in after]
    return (HEADER + bytes([0, frm, index]) + nonce + sealed + bytes([len(ids)])
            + b"".join(bytes([len(b)]) + b for b in ids))


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text):
    if not isinstance(text, str) or not text or len(text) % 4 == 1 \
            or not all(c.isalnum() or c in "-_" for c in text) \
            or not text.isascii():
        return None
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return raw if _b64(raw) == text else None


def _after_ok(after):
    return len(after) <= MAX_AFTER and all(
        isinstance(a, str) and a and len(a.encode()) <= 255 for a in after)


def seal_key(with_key, with_index, new_key, new_index, room, nonce, after=()):
    """The key message (a dict) for `new_key`, sealed with `with_key`."""
    after = list(after)
    if len(new_key) != KEY_BYTES or len(nonce) != NONCE_BYTES \
            or not _after_ok(after):
        raise ValueError("a key is 32 bytes, a nonce 16")
    pad, mac = sealing_keys(with_key, room)
    mask = hmac.new(pad, nonce, hashlib.sha256).digest()
    sealed = bytes(a ^ b for a, b in zip(new_key, mask))
    tag = hmac.new(mac, _tagged(with_index, new_index, nonce, sealed, after),
                   hashlib.sha256).digest()
    return {"type": "bedrud-key", "v": 1, "from": with_index,
            "index": new_index, "nonce": _b64(nonce), "key": _b64(sealed),
            "after": after, "tag": _b64(tag)}


def parse_message(payload):
    """A well-formed key message (a dict), or None."""
    if len(payload) > MAX_MESSAGE:
        return None
    try:
        m = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(m, dict):
        return None

    def idx(x):
        return isinstance(x, int) and not isinstance(x, bool) \
            and 0 <= x < KEY_RING_SIZE

    after = m.get("after", [])
    if m.get("type") != "bedrud-key" or m.get("v") != 1 \
            or not idx(m.get("from")) or not idx(m.get("index")) \
            or m["index"] != next_index(m["from"]) \
            or not all(isinstance(m.get(k), str) for k in ("nonce", "key", "tag")) \
            or not isinstance(after, list) or not _after_ok(after):
        return None
    return {**m, "after": after}


def open_key(m, candidates, room):
    """The new key, if one of `candidates` (keys held at m["from"]) sealed
    it; else None."""
    nonce, sealed, tag = _unb64(m["nonce"]), _unb64(m["key"]), _unb64(m["tag"])
    if not nonce or len(nonce) != NONCE_BYTES or not sealed \
            or len(sealed) != KEY_BYTES or not tag or len(tag) != 32:
        return None
    for c in candidates:
        pad, mac = sealing_keys(c, room)
        want = hmac.new(mac, _tagged(m["from"], m["index"], nonce, sealed,
                                     m["after"]), hashlib.sha256).digest()
        if hmac.compare_digest(want, tag):
            mask = hmac.new(pad, nonce, hashlib.sha256).digest()
            return bytes(a ^ b for a, b in zip(sealed, mask))
    return None


def wins(a, b):
    """Of two keys for one index, does a win over b? (the smaller SHA-256)"""
    return hashlib.sha256(a).digest() < hashlib.sha256(b).digest()


class Follower:
    """Follows the room's key rotations.

    `ring` is the KeyRing (install, switch); `later(seconds, fn)` runs fn
    later and returns something with cancel(); `now()` a clock; `told(text)`
    reports; `changed(index)` is called with each new key's index.
    """

    def __init__(self, ring, room, key, index, later, now, told=None,
                 changed=None):
        self.ring = ring
        self.room = room
        self.current = (bytes(key), index)
        self.held = {index: [bytes(key)]}
        self.later = later
        self.now = now
        self.told = told or (lambda text: None)
        self.changed = changed or (lambda index: None)
        self.removals = {}
        self.removed_at = None
        self._switch = None
        self._switch_for = None
        self._drop = None

    def removed(self, target):
        """The server's "rekey" after a kick or a ban of `target`."""
        t = self.now()
        self.removals[target] = t
        self.removed_at = t

    def received(self, identity, since, payload):
        """A key message from participant `identity`, connected since
        `since` (the clock of now(); 0 if there before us). Returns
        "newer", "replaced" or None."""
        if self.removed_at is not None and since >= self.removed_at:
            return None         # came after the last removal: maybe it again
        r = self.removals.get(identity)
        if r is not None and since <= r:
            return None
        m = parse_message(payload)
        if m is None:
            return None
        key = open_key(m, self.held.get(m["from"], []), self.room)
        if key is None:
            return None
        cur_key, cur_index = self.current
        if ahead(cur_index, m["index"]):
            self._adopt(key, m["index"], tie=False)
            return "newer"
        if m["index"] != cur_index or key == cur_key:
            return None
        if not wins(key, cur_key):
            self.held[cur_index].append(key)    # the loser still opens messages
            return None
        self._adopt(key, m["index"], tie=True)
        return "replaced"

    def _adopt(self, key, index, tie):
        rest = self.held.get(index, []) if tie else []
        self.held[index] = [key] + rest
        self.ring.install(key, index)
        self.current = (key, index)
        self.changed(index)
        self.told("the room key was changed (someone was removed): now key "
                  "index %d; old links no longer work" % index)
        if self.ring.sending == index or self._switch_for == index:
            return
        if self._switch:
            self._switch.cancel()
        self._switch_for = index
        self._switch = self.later(SWITCH_DELAY, lambda: self._switch_to(index))

    def _switch_to(self, index):
        self._switch = self._switch_for = None
        if self.current[1] != index:
            return
        self.ring.switch(index)
        if self._drop:
            self._drop.cancel()
        self._drop = self.later(GRACE, self._drop_old)

    def _drop_old(self):
        self._drop = None
        cur = self.current[1]
        # index 0 too: the SDK holds the link's key there whatever its index
        for i in sorted(set(self.held) | {0}):
            if i in (cur, self.ring.sending):
                continue
            self.held.pop(i, None)
            self.ring.drop(i)
        self.held[cur] = [self.current[0]]

    def holding(self):
        return sorted(self.held)

    def stop(self):
        for h in (self._switch, self._drop):
            if h:
                h.cancel()
        self._switch = self._drop = None
