"""Files: WAV that stays playable if the process dies, and video encoded by
Debian's ffmpeg from raw I420 frames at a constant frame rate."""

import asyncio
import os
import shutil
import struct

import numpy as np

HEADER_EVERY = 48000 * 2        # bytes of 16-bit mono 48 kHz: one second


class Wav:
    """16-bit PCM WAV whose sizes in the header are rewritten every second
    and at close, so a killed recorder still leaves a valid file."""

    def __init__(self, path, rate=48000, channels=1):
        self.path = path
        self.rate, self.channels = rate, channels
        self.f = open(path, "wb")
        self.bytes = 0
        self._since = 0
        self._header()

    def _header(self):
        block = 2 * self.channels
        self.f.seek(0)
        self.f.write(b"RIFF" + struct.pack("<I", 36 + self.bytes) + b"WAVE"
                     + b"fmt " + struct.pack("<IHHIIHH", 16, 1, self.channels,
                                             self.rate, self.rate * block,
                                             block, 16)
                     + b"data" + struct.pack("<I", self.bytes))
        self.f.seek(0, os.SEEK_END)

    def write(self, pcm):
        self.f.write(pcm)
        self.bytes += len(pcm)
        self._since += len(pcm)
        if self._since >= HEADER_EVERY:
            self._since = 0
            self._header()
            self.f.flush()

    @property
    def seconds(self):
        return self.bytes / (2 * self.channels * self.rate)

    def close(self):
        if self.f.closed:
            return
        self._header()
        self.f.close()


def ffmpeg_path():
    return shutil.which("ffmpeg")


def fit(planes, w, h, to_w, to_h):
    """I420 planes of w x h scaled (nearest neighbour) to to_w x to_h: a
    sender that changes resolution keeps one file of one size."""
    ys = (np.arange(to_h) * h // to_h)
    xs = (np.arange(to_w) * w // to_w)
    y, u, v = planes
    ch, cw = (to_h + 1) // 2, (to_w + 1) // 2
    cys = (np.arange(ch) * ((h + 1) // 2) // ch)
    cxs = (np.arange(cw) * ((w + 1) // 2) // cw)
    return (y[ys][:, xs], u[cys][:, cxs], v[cys][:, cxs])


def i420_planes(frame):
    """The Y, U, V planes of an I420 rtc.VideoFrame as 2-D arrays."""
    w, h = frame.width, frame.height
    cw, ch = (w + 1) // 2, (h + 1) // 2
    data = np.frombuffer(frame.data, dtype=np.uint8)
    y = data[:w * h].reshape(h, w)
    u = data[w * h:w * h + cw * ch].reshape(ch, cw)
    v = data[w * h + cw * ch:w * h + 2 * cw * ch].reshape(ch, cw)
    return y, u, v


class Video:
    """Raw frames piped to ffmpeg (H.264 in Matroska, which stays playable
    when cut short). The output has a constant frame rate: each frame is
    written as often as the wall clock says, so the file keeps time with
    the WAV recorded beside it."""

    def __init__(self, path, fps, encoder_args, size=None):
        self.path = path
        self.fps = fps
        self.encoder_args = encoder_args
        self.proc = None
        self.want = size            # the file's size; else the first frame's
        self.size = None
        self.frames = 0             # frames written (with repeats)
        self.received = 0           # frames that came in
        self.resized = 0
        self.t0 = None
        self.last = None
        self.error = None

    async def _start(self, w, h):
        w, h = w + w % 2, h + h % 2     # x264 wants even sizes
        self.size = (w, h)
        self.proc = await asyncio.create_subprocess_exec(
            ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "%dx%d" % (w, h),
            "-framerate", str(self.fps), "-i", "pipe:0",
            *self.encoder_args, "-f", "matroska", "-y", self.path,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)

    async def write(self, frame, now):
        """`frame`: an I420 rtc.VideoFrame; `now`: seconds on our clock."""
        if self.error:
            return
        self.received += 1
        w, h = frame.width, frame.height
        if self.proc is None:
            if w < 16 or h < 16:
                return              # the SFU's tiny placeholder frames
            await self._start(*(self.want or (w, h)))
            self.t0 = now
        if (w, h) == self.size:
            data = bytes(frame.data)
        else:
            self.resized += 1
            data = b"".join(p.tobytes() for p in
                            fit(i420_planes(frame), w, h, *self.size))
        due = int((now - self.t0) * self.fps) + 1 - self.frames
        if due <= 0:
            self.last = data        # a frame early: it replaces the last
            return
        # repeat the previous frame for the time it was on screen
        for _ in range(due - 1):
            await self._put(self.last or data)
        await self._put(data)
        self.last = data

    async def _put(self, data):
        try:
            self.proc.stdin.write(data)
            await self.proc.stdin.drain()
            self.frames += 1
        except (BrokenPipeError, ConnectionResetError):
            self.error = await self._stderr() or "ffmpeg stopped"

    async def _stderr(self):
        try:
            out = await asyncio.wait_for(self.proc.stderr.read(4000), 2)
            return out.decode(errors="replace").strip()
        except asyncio.TimeoutError:
            return ""

    async def close(self, now=None):
        """Pads to `now` (the stream ended or we stop), ends the file."""
        if self.proc is None:
            return
        if now is not None and self.last and not self.error:
            due = int((now - self.t0) * self.fps) - self.frames
            for _ in range(min(max(due, 0), self.fps * 5)):
                await self._put(self.last)
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            rc = await asyncio.wait_for(self.proc.wait(), 30)
        except asyncio.TimeoutError:
            self.proc.kill()
            rc = await self.proc.wait()
        if rc != 0 and not self.error:
            self.error = (await self._stderr()) or "ffmpeg exit status %d" % rc

    @property
    def seconds(self):
        return self.frames / self.fps
