"""say: an audio file, decoded by ffmpeg, published as an encrypted
microphone track once someone listens."""

import asyncio
import time

from livekit import rtc

from . import errors, media
from .session import FAIL_AFTER, SAMPLE_EVERY

RATE = 48000
CHUNK = RATE // 10 * 2              # 100 ms of 16-bit mono: few FFI calls


class Decoder:
    """FILE as 48 kHz mono 16-bit PCM, read as ffmpeg decodes it."""

    def __init__(self, path):
        self.path = path
        self.proc = None

    async def open(self):
        if not media.ffmpeg_path():
            raise errors.Usage("ffmpeg is missing (Debian: apt-get install "
                               "ffmpeg); say decodes the file with it")
        self.proc = await asyncio.create_subprocess_exec(
            media.ffmpeg_path(), "-hide_banner", "-loglevel", "error",
            "-nostdin", "-i", self.path, "-vn", "-f", "s16le", "-ac", "1",
            "-ar", str(RATE), "pipe:1",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        # the first chunk, before anyone is asked to listen
        self.first = await self.read()
        if not self.first:
            rc = await self.proc.wait()
            err = (await self.proc.stderr.read()).decode(errors="replace")
            raise errors.Usage("cannot decode %s as audio: %s"
                               % (self.path, err.strip().splitlines()[-1]
                                  if err.strip() else "exit status %d" % rc))

    async def read(self):
        try:
            return await self.proc.stdout.readexactly(CHUNK)
        except asyncio.IncompleteReadError as e:
            return e.partial

    async def chunks(self):
        chunk = self.first
        while chunk:
            if len(chunk) < CHUNK:
                chunk += bytes(CHUNK - len(chunk))
            yield chunk
            chunk = await self.read()

    async def close(self):
        if self.proc and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def check_key(session, say):
    """Before speaking: does what others send decrypt with our key? If it
    does not, they could not decrypt us either."""
    if not session.join.e2ee:
        return
    start = time.monotonic()
    deadline = start + FAIL_AFTER + 2 * SAMPLE_EVERY
    while True:
        now = time.monotonic()
        hs = [h for h in session.health.values() if h.tracks]
        if not hs and now - start >= 1.0:
            say("note: nobody else publishes audio, so the key could not be "
                "checked against theirs")
            return
        if any(h.ok for h in hs):
            return
        flowing = [h for h in hs if any(t.flowing for t in h.tracks.values())]
        if flowing and (all(h.failing(now) for h in flowing)
                        or now >= deadline):
            raise errors.Undecryptable(
                "nothing the others send decrypts with this link's key, so "
                "they could not hear the announcement either (%s)"
                % "; ".join("%s: %s" % (h.label, h.why()) for h in flowing))
        if now >= deadline:
            say("note: nobody else sends audio, so the key could not be "
                "checked against theirs")
            return
        await asyncio.sleep(0.25)


async def run(session, decoder, wait, say, stop):
    room = session.room
    source = rtc.AudioSource(RATE, 1)
    track = rtc.LocalAudioTrack.create_audio_track("announcement", source)
    opts = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    pub = await room.local_participant.publish_track(track, opts)
    if session.keys is not None:
        session.sdk_keys.apply()    # our cryptor sends with the link's index

    # someone listens, or Ctrl-C, or --wait
    heard = asyncio.ensure_future(pub.wait_for_subscription())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({heard, stopped}, timeout=wait,
                       return_when=asyncio.FIRST_COMPLETED)
    listened = heard.done() and not heard.cancelled()
    heard.cancel()
    stopped.cancel()
    if stop.is_set():
        return None                 # Ctrl-C before anyone listened
    if not listened:
        raise errors.NobodyListening(
            "nobody subscribed to the announcement within %d s (is anyone in "
            "the meeting?)" % wait)
    await check_key(session, say)

    say("speaking")
    sent = 0
    t0 = time.monotonic()
    async for chunk in decoder.chunks():
        if stop.is_set() or session.disconnected.is_set():
            break
        frame = rtc.AudioFrame(chunk, RATE, 1, len(chunk) // 2)
        await source.capture_frame(frame)
        sent += len(chunk) // 2
    if not stop.is_set():
        await source.wait_for_playout()
        await asyncio.sleep(0.3)        # the last packets on their way
    await room.local_participant.unpublish_track(pub.sid)
    return sent / RATE, time.monotonic() - t0
