"""record: each remote participant's decrypted audio (WAV) and video (H.264
in Matroska, by ffmpeg), with recording.json saying what is where."""

import asyncio
import datetime
import hashlib
import json
import os
import re
import time

from livekit import rtc
from livekit.rtc._proto import video_frame_pb2

from . import media
from .session import kind_name

SOURCES = {
    rtc.TrackSource.SOURCE_CAMERA: "camera",
    rtc.TrackSource.SOURCE_MICROPHONE: "microphone",
    rtc.TrackSource.SOURCE_SCREENSHARE: "screen",
    rtc.TrackSource.SOURCE_SCREENSHARE_AUDIO: "screen-audio",
}
MANIFEST = "recording.json"


def slug(p):
    """A directory name for a participant: readable and unique."""
    base = re.sub(r"[^a-z0-9._-]+", "-", (p.name or "").lower()).strip("-._")
    tag = hashlib.sha256(p.identity.encode()).hexdigest()[:6]
    return "%s-%s" % (base[:40] or "participant", tag)


class Entry:
    """One file of one track."""

    def __init__(self, rel, kind, source):
        self.rel, self.kind, self.source = rel, kind, source
        self.start = None           # seconds after the recording started
        self.writer = None

    def json(self):
        w = self.writer
        d = {"file": self.rel, "kind": self.kind, "source": self.source,
             "start": round(self.start or 0.0, 3),
             "seconds": round(w.seconds, 3) if w else 0.0}
        if isinstance(w, media.Video):
            d.update(frames=w.frames, received=w.received,
                     width=w.size[0] if w.size else 0,
                     height=w.size[1] if w.size else 0, fps=w.fps,
                     resized=w.resized)
            if w.error:
                d["error"] = w.error
        return d


class Recorder:
    def __init__(self, session, out_dir, fps, encoder_args, say):
        self.s = session
        self.out = out_dir
        self.fps = fps
        self.encoder_args = encoder_args
        self.say = say
        self.t0 = time.monotonic()
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.entries = {}           # identity -> [Entry]
        self.streams = {}           # track sid -> (stream, task)
        self.used = set()
        session.room.on("track_subscribed", self._subscribed)
        session.room.on("track_unsubscribed", self._unsubscribed)

    def now(self):
        return time.monotonic() - self.t0

    def start_existing(self):
        """Tracks subscribed before we listened."""
        for p in self.s.room.remote_participants.values():
            for pub in p.track_publications.values():
                if pub.track is not None and pub.sid not in self.streams:
                    self._subscribed(pub.track, pub, p)

    def _path(self, p, pub, ext):
        d = slug(p)
        name = SOURCES.get(pub.source, kind_name(pub.kind))
        rel = "%s/%s.%s" % (d, name, ext)
        n = 2
        while rel in self.used:
            rel = "%s/%s-%d.%s" % (d, name, n, ext)
            n += 1
        self.used.add(rel)
        os.makedirs(os.path.join(self.out, d), exist_ok=True)
        return rel

    def _subscribed(self, track, pub, p):
        if pub.sid in self.streams:
            return
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            # 100 ms frames: a tenth of the calls into Python of 10 ms ones
            stream = rtc.AudioStream(track, sample_rate=48000, num_channels=1,
                                     frame_size_ms=100)
            run = self._audio
        else:
            # set the best layer of a simulcast sender; a few frames queued
            # at most: a slow encoder drops frames, not memory
            pub.set_video_quality(rtc.VideoQuality.VIDEO_QUALITY_HIGH)
            stream = rtc.VideoStream(track, capacity=4,
                                     format=video_frame_pb2.VideoBufferType.I420)
            run = self._video
        task = asyncio.ensure_future(run(stream, pub, p))
        self.streams[pub.sid] = (stream, task)

    def _unsubscribed(self, track, pub, p):
        item = self.streams.pop(pub.sid, None)
        if item:
            asyncio.ensure_future(self._end(*item))

    @staticmethod
    async def _end(stream, task):
        # the SDK's stream does not wake a reader when closed: the writer
        # task is cancelled, and finishes its file on the way out
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        try:
            await asyncio.wait_for(stream.aclose(), 5)
        except Exception:       # noqa: BLE001 - closing anyway
            pass

    def _entry(self, p, pub, ext):
        e = Entry(self._path(p, pub, ext), kind_name(pub.kind),
                  SOURCES.get(pub.source, "unknown"))
        self.entries.setdefault(p.identity, []).append(e)
        return e

    async def _audio(self, stream, pub, p):
        e = None
        try:
            async for ev in stream:
                if not self.s.decrypts(p.identity):
                    continue        # silence made up for media we cannot open
                if e is None:
                    e = self._entry(p, pub, "wav")
                    e.start = self.now()
                    e.writer = media.Wav(os.path.join(self.out, e.rel))
                    self.write_manifest()
                e.writer.write(bytes(ev.frame.data))
        finally:
            if e is not None:
                e.writer.close()

    async def _video(self, stream, pub, p):
        e = None
        try:
            async for ev in stream:
                if not self.s.decrypts(p.identity):
                    continue
                if e is None:
                    e = self._entry(p, pub, "mkv")
                    # the size the sender announced: its best layer
                    size = (pub.width, pub.height) if pub.width > 0 \
                        and pub.height > 0 else None
                    e.writer = media.Video(os.path.join(self.out, e.rel),
                                           self.fps, self.encoder_args, size)
                await e.writer.write(ev.frame, self.now())
                if e.start is None and e.writer.t0 is not None:
                    e.start = e.writer.t0
                    self.write_manifest()
                if e.writer.error:
                    self.say("cannot encode video of %s: %s"
                             % (p.identity, e.writer.error))
                    break
        finally:
            if e is not None:
                await e.writer.close(self.now())

    async def stop(self):
        items, self.streams = list(self.streams.values()), {}
        await asyncio.gather(*(self._end(*i) for i in items))
        self.ended = datetime.datetime.now(datetime.timezone.utc)
        self.write_manifest()

    # -- what was recorded

    def counts(self):
        audio = sum(e.writer.seconds for es in self.entries.values()
                    for e in es if e.kind == "audio" and e.writer)
        frames = sum(e.writer.received for es in self.entries.values()
                     for e in es if e.kind == "video" and e.writer)
        return audio, frames

    def write_manifest(self):
        people = []
        for ident, h in self.s.health.items():
            people.append({
                "identity": ident, "name": h.name,
                "decrypted": (not self.s.join.e2ee) or h.ok,
                "undecryptable_seconds": round(h.undecryptable, 1),
                "files": [e.json() for e in self.entries.get(ident, [])]})
        doc = {"room": self.s.link.room, "link": self.s.link.redacted(),
               "e2ee": self.s.join.e2ee,
               "started": self.started.isoformat(timespec="seconds"),
               "seconds": round(self.now(), 3), "participants": people,
               # the room key's rotations the bot followed (docs/e2ee.md)
               "keys": [{"index": i, "at": round(t - self.t0, 3)}
                        for t, i in self.s.key_changes]}
        if getattr(self, "ended", None):
            doc["ended"] = self.ended.isoformat(timespec="seconds")
        tmp = os.path.join(self.out, MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        os.replace(tmp, os.path.join(self.out, MANIFEST))
