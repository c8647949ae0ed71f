"""A LiveKit session with the room key: connect, hold keys, watch decryption.

The SDK is LiveKit's Python SDK (`livekit` on PyPI), whose native part
(liblivekit_ffi, LiveKit's Rust SDK and its libwebrtc) ships in the wheel.
It is configured exactly as the web client's ExternalE2EEKeyProvider
(docs/e2ee.md): shared key, HKDF, salt "LKFrameEncryptionKey", no ratchet
window, never give up on a key.

Whether anything decrypts is judged, per remote participant, from two
things the SDK reports: the frame cryptor's state (OK once a frame of theirs
decrypted, MISSING_KEY when they use a key index we do not hold) and the
receivers' statistics (packets arriving while no frame or sample comes out
of the decoder). The browser's EncryptionError has no equivalent here: with
a shared key that never fails over (failure_tolerance -1, as in
livekit-client), the native cryptor drops a frame it cannot open silently.
"""

import asyncio
import json
import time

from livekit import rtc
from livekit.rtc._proto import e2ee_pb2

from . import errors, rotation
from .keys import KEY_RING_SIZE, RATCHET_SALT, KeyRing

STATE = e2ee_pb2.EncryptionState
SAMPLE_EVERY = 2.0          # seconds between two looks at the statistics
FAIL_AFTER = 4.0            # seconds of media that does not decrypt: report


def key_provider_options(key):
    """What livekit-client's ExternalE2EEKeyProvider.setKey(ArrayBuffer) does."""
    return rtc.KeyProviderOptions(
        shared_key=key,
        ratchet_salt=RATCHET_SALT,
        ratchet_window_size=0,
        failure_tolerance=-1,
        key_ring_size=KEY_RING_SIZE,
        key_derivation_function=e2ee_pb2.KeyDerivationFunction.HKDF)


class SdkKeys:
    """KeyRing's hands: the room's key provider and our senders' cryptors."""

    def __init__(self, room):
        self.room = room
        self.index = 0

    def set_key(self, key, index):
        self.room.e2ee_manager.key_provider.set_shared_key(key, index)

    def send_with(self, index):
        self.index = index
        self.apply()

    def apply(self):
        """Every local sender's cryptor uses the sending index (a cryptor
        made for a new track starts at 0)."""
        me = self.room.local_participant.identity
        for c in self.room.e2ee_manager.frame_cryptors():
            if c.participant_identity == me and c.key_index != self.index:
                c.set_key_index(self.index)


class TrackHealth:
    def __init__(self, kind):
        self.kind = kind
        self.packets = None         # last counters seen
        self.decoded = None
        self.flowing = False        # packets came in the last window
        self.decrypting = False     # media came out of the decoder then
        self.bad_since = None       # packets but no media since then
        self.undecryptable = 0.0    # seconds of media that did not decrypt


class Health:
    """One remote participant: does their media decrypt with our key?"""

    def __init__(self, identity, name):
        self.identity = identity
        self.name = name or identity
        self.ok = False             # their cryptor decrypted a frame
        self.missing_key = False
        self.tracks = {}
        self.reported = False

    @property
    def label(self):
        if self.name != self.identity:
            return "%s (%s)" % (self.name, self.identity)
        return self.identity

    @property
    def undecryptable(self):
        # seconds of their media time, whichever track
        return max((t.undecryptable for t in self.tracks.values()), default=0.0)

    def failing(self, now):
        """Media has been arriving for FAIL_AFTER seconds and none of it
        decrypts."""
        bad = [t for t in self.tracks.values() if t.flowing]
        return bool(bad) and all(
            t.bad_since is not None and now - t.bad_since >= FAIL_AFTER
            for t in bad)

    def why(self):
        if self.missing_key:
            return ("their media uses a key index this link does not carry: "
                    "the room key was changed; ask for the current link")
        return ("nothing they send decrypts with this link's key: a "
                "different room key? ask for the current link")


class Session:
    """Joins with `join` (api.Join) and `link`; say() reports progress."""

    def __init__(self, link, join, say, subscribe="all"):
        self.link = link
        self.join = join
        self.say = say
        self.room = rtc.Room()
        self.keys = None
        self.health = {}
        self.seen_anyone = False
        self.alone_since = time.monotonic()
        self.disconnected = asyncio.Event()
        self.disconnect_reason = None
        self.follower = None
        self.key_changes = []       # (time.monotonic(), key index)
        self._since = {}            # participant sid -> when it came
        self._subscribe = subscribe
        self._tasks = set()
        self._wire()

    # -- connecting

    async def connect(self, timeout=15.0):
        j, link = self.join, self.link
        if j.e2ee and link.key is None:
            raise errors.Usage("this room is end-to-end encrypted and the "
                               "link has no key (#key=...): ask for the full "
                               "link")
        if not j.e2ee and link.key is not None:
            self.say("note: this room is not end-to-end encrypted; the key "
                     "in the link is not used")
        opts = rtc.RoomOptions(auto_subscribe=self._subscribe == "all",
                               connect_timeout=timeout)
        if j.e2ee:
            opts.encryption = rtc.E2EEOptions(
                key_provider_options=key_provider_options(link.key))
        t0 = time.monotonic()
        try:
            await asyncio.wait_for(self.room.connect(j.url, j.token, opts),
                                   timeout * 2)
        except asyncio.TimeoutError:
            raise errors.Network("joined %s, but its media server at %s did "
                                 "not answer within %d s"
                                 % (link.redacted(), j.url, timeout * 2)) \
                from None
        except rtc.ConnectError as e:
            raise errors.Network("joined %s, but cannot connect to its media "
                                 "server at %s: %s"
                                 % (link.redacted(), j.url, e.message)) \
                from None
        self.connect_time = time.monotonic() - t0
        if j.e2ee:
            self.sdk_keys = SdkKeys(self.room)
            self.keys = KeyRing(self.sdk_keys)
            # the options put the key at index 0; a link's "ki" moves it
            self.keys.install(link.key, link.key_index)
            self.keys.switch(link.key_index)
            loop = asyncio.get_running_loop()
            self.follower = rotation.Follower(
                self.keys, j.name or link.room, link.key, link.key_index,
                later=loop.call_later, now=time.monotonic, told=self.say,
                changed=lambda i: self.key_changes.append((time.monotonic(), i)))
        for p in self.room.remote_participants.values():
            self._joined(p)
            for pub in p.track_publications.values():
                self._published(pub, p)
        self._spawn(self._watch())

    async def close(self):
        if self.follower:
            self.follower.stop()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await asyncio.wait_for(self.room.disconnect(), 5)
        except Exception:       # noqa: BLE001 - leaving anyway
            pass

    def _spawn(self, coro):
        t = asyncio.ensure_future(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)
        return t

    # -- events

    def _wire(self):
        r = self.room
        r.on("participant_connected", self._came)
        r.on("participant_disconnected", self._left)
        r.on("e2ee_state_changed", self._e2ee_state)
        r.on("disconnected", self._disconnected)
        r.on("local_track_published", self._local_published)
        r.on("track_published", self._published)
        r.on("track_subscribed", self._subscribed)
        r.on("track_unsubscribed", self._unsubscribed)
        r.on("data_received", self._data)

    def _came(self, p):
        # those already there when we connected count as there before
        # anything we are told (a rotation's rule)
        self._since[p.sid] = time.monotonic()
        self._joined(p)

    def _joined(self, p):
        self.seen_anyone = True
        self.alone_since = None
        if p.identity not in self.health:
            self.health[p.identity] = Health(p.identity, p.name)

    def _left(self, p):
        h = self.health.get(p.identity)
        if h:
            for t in h.tracks.values():
                t.flowing = False
        if not self.room.remote_participants:
            self.alone_since = time.monotonic()

    def _data(self, packet):
        """Key messages from participants; the server's "rekey"."""
        if self.follower is None:
            return
        p = packet.participant
        if packet.topic == rotation.KEY_TOPIC and p is not None:
            self.follower.received(p.identity, self._since.get(p.sid, 0.0),
                                   packet.data)
        elif packet.topic == "system" and p is None:
            try:
                m = json.loads(packet.data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return
            if isinstance(m, dict) and m.get("type") == "system" \
                    and m.get("event") == "rekey" \
                    and isinstance(m.get("target"), str) and m["target"]:
                self.follower.removed(m["target"])

    def _disconnected(self, reason):
        self.disconnect_reason = reason
        self.disconnected.set()

    def _local_published(self, pub, track):
        if self.keys is not None:
            self.sdk_keys.apply()

    def _published(self, pub, p):
        # "audio": only what is needed to check the key (say)
        if self._subscribe == "audio" and pub.kind == rtc.TrackKind.KIND_AUDIO:
            pub.set_subscribed(True)

    def _subscribed(self, track, pub, p):
        self._joined(p)
        if self.join.e2ee and pub.encryption_type == e2ee_pb2.EncryptionType.NONE:
            self.say("warning: %s publishes %s without encryption"
                     % (self.health[p.identity].label, kind_name(track.kind)))
        self.health[p.identity].tracks[pub.sid] = TrackHealth(track.kind)

    def _unsubscribed(self, track, pub, p):
        h = self.health.get(p.identity)
        if h and pub.sid in h.tracks:
            h.tracks[pub.sid].flowing = False

    def _e2ee_state(self, p, state):
        if p.identity == self.room.local_participant.identity:
            if state == STATE.MISSING_KEY:
                self.say("warning: no key to send with at index %d"
                         % (self.keys.sending if self.keys else 0))
            return
        self._joined(p)
        h = self.health[p.identity]
        if state == STATE.OK:
            h.ok = True
            h.missing_key = False
        elif state == STATE.MISSING_KEY:
            h.missing_key = True

    # -- watching decryption

    def decrypts(self, identity):
        """Media of `identity` may be written: it decrypts (or needs not)."""
        h = self.health.get(identity)
        return not self.join.e2ee or (h is not None and h.ok)

    async def _watch(self):
        while True:
            await asyncio.sleep(SAMPLE_EVERY)
            now = time.monotonic()
            for p in list(self.room.remote_participants.values()):
                h = self.health.get(p.identity)
                if h is None:
                    continue
                for sid, pub in list(p.track_publications.items()):
                    th = h.tracks.get(sid)
                    if th is None or pub.track is None:
                        continue
                    try:
                        stats = await pub.track.get_stats()
                    except Exception:       # noqa: BLE001 - gone meanwhile
                        continue
                    sample(th, stats, now)
                if not self.join.e2ee:
                    continue
                if h.failing(now) and not h.reported:
                    h.reported = True
                    self.say("cannot decrypt %s: %s" % (h.label, h.why()))
                elif h.reported and any(t.decrypting for t in h.tracks.values()):
                    h.reported = False
                    self.say("%s decrypts now" % h.label)


def sample(th, stats, now):
    """Updates a track's health from its receiver's statistics."""
    packets = decoded = None
    for s in stats:
        if s.WhichOneof("stats") != "inbound_rtp":
            continue
        inbound = s.inbound_rtp.inbound
        packets = s.inbound_rtp.received.packets_received
        if th.kind == rtc.TrackKind.KIND_VIDEO:
            decoded = inbound.frames_decoded
        else:
            # samples that came from packets, not made up by the decoder
            decoded = inbound.total_samples_received - inbound.concealed_samples
    if packets is None:
        return
    if th.packets is not None:
        dp, dd = packets - th.packets, decoded - th.decoded
        th.flowing = dp > 0
        th.decrypting = dd > 0
        if th.flowing and not th.decrypting:
            th.undecryptable += SAMPLE_EVERY
            if th.bad_since is None:
                th.bad_since = now - SAMPLE_EVERY
        else:
            th.bad_since = None
    th.packets, th.decoded = packets, decoded


def kind_name(kind):
    return "video" if kind == rtc.TrackKind.KIND_VIDEO else "audio"
