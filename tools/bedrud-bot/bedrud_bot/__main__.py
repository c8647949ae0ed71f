"""bedrud-bot: a participant of Bedrud meetings that holds the room key.

  bedrud-bot record [LINK] --out DIR     record everyone (decrypted) into DIR
  bedrud-bot say [LINK] FILE             publish an audio file, encrypted

LINK is the meeting link with its "#key=". It carries the room key, so keep
it off the command line where others can read it (ps): give "-" to read it
from standard input, or leave it out and set BEDRUD_LINK. Who the bot is:
see --help-credentials.
"""

import argparse
import asyncio
import logging
import os
import resource
import signal
import sys
import time

from . import api, errors, link as linkmod, media

PROG = "bedrud-bot"

CREDENTIALS_HELP = api.__doc__ + """
The link can come from there too (BEDRUD_LINK). A credentials file should be
readable by you alone (chmod 600).
"""


def say(msg):
    Progress.clear()
    print("%s: %s" % (PROG, msg), file=sys.stderr, flush=True)


class Progress:
    """One line on a terminal, redrawn; a line every few seconds otherwise."""

    tty = sys.stderr.isatty()
    shown = False
    every = 1.0 if sys.stderr.isatty() else 5.0

    @classmethod
    def show(cls, text):
        if cls.tty:
            sys.stderr.write("\r\033[K%s: %s" % (PROG, text))
            cls.shown = True
        else:
            sys.stderr.write("%s: %s\n" % (PROG, text))
        sys.stderr.flush()

    @classmethod
    def clear(cls):
        if cls.tty and cls.shown:
            sys.stderr.write("\r\033[K")
            cls.shown = False


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 done, 1 bad usage/link/key, 2 the server "
               "refused (full, banned, private, no such room), 3 nothing "
               "decrypts with the link's key, 4 network, 5 nobody listened "
               "(say), 6 removed from the room.")
    ap.add_argument("--help-credentials", action="store_true",
                    help="how to give an account or a guest name")
    sub = ap.add_subparsers(dest="command")

    def common(p):
        p.add_argument("--credentials", metavar="FILE",
                       help="NAME=value lines: BEDRUD_EMAIL, BEDRUD_PASSWORD, "
                            "BEDRUD_ACCESS_TOKEN, BEDRUD_GUEST, BEDRUD_LINK")
        p.add_argument("--verbose", action="store_true",
                       help="the SDK's own log on standard error")

    r = sub.add_parser("record", help="record the meeting, decrypted")
    r.add_argument("link", nargs="?", metavar="LINK",
                   help='the meeting link, or "-" to read it from standard '
                        "input (default: $BEDRUD_LINK)")
    r.add_argument("--out", required=True, metavar="DIR",
                   help="where the files go (made if missing)")
    r.add_argument("--duration", type=float, metavar="SECONDS",
                   help="stop after this long (default: until Ctrl-C or the "
                        "meeting ends)")
    r.add_argument("--alone-exit", type=float, default=20.0, metavar="SECONDS",
                   help="the meeting has ended when the bot has been alone "
                        "this long, after someone was there (default 20)")
    r.add_argument("--audio-only", action="store_true",
                   help="record audio only (no video, much less CPU)")
    r.add_argument("--fps", type=int, default=25,
                   help="frame rate of the video files (default 25)")
    r.add_argument("--preset", default="veryfast",
                   help="x264 preset: ultrafast uses the least CPU "
                        "(default veryfast)")
    common(r)

    s = sub.add_parser("say", help="publish an audio file into the meeting")
    s.add_argument("link", nargs="?", metavar="LINK",
                   help='the meeting link, or "-" (standard input)')
    s.add_argument("file", metavar="FILE", help="any audio ffmpeg can read")
    s.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                   help="how long to wait for someone to listen (default 30)")
    common(s)

    # "say FILE" with the link from the environment: one positional
    args = ap.parse_args(argv)
    if args.help_credentials:
        print(CREDENTIALS_HELP)
        raise SystemExit(0)
    if not args.command:
        ap.print_help(sys.stderr)
        raise SystemExit(1)
    return args


def setup(args):
    """The environment, the link and the credentials."""
    env = {k: os.environ[k] for k in api.VARS if os.environ.get(k)}
    if args.credentials:
        filed = api.read_credentials(args.credentials, lambda m: say("warning: " + m))
        env = {**filed, **env}
    text = args.link
    if text == "-":
        text = sys.stdin.readline()
    elif text is None:
        text = env.get("BEDRUD_LINK")
        if not text:
            raise errors.Usage("no meeting link: give it as LINK, as \"-\" on "
                               "standard input, or in BEDRUD_LINK")
    elif "#" in text:
        say("note: the link's key is visible to other users of this machine "
            "(ps); prefer \"-\" or BEDRUD_LINK")
    try:
        link = linkmod.parse(text)
    except linkmod.BadLink as e:
        raise errors.Usage(str(e)) from None
    return link, api.Credentials(env)


async def joined(link, creds, default_name, subscribe):
    from .session import Session        # the SDK loads only when needed

    t0 = time.monotonic()
    join = await asyncio.get_running_loop().run_in_executor(
        None, api.join, link, creds, default_name)
    t_api = time.monotonic() - t0
    s = Session(link, join, say, subscribe=subscribe)
    await s.connect()
    me = s.room.local_participant
    say("joined %s as %s (%s) in %.2f s (API %.2f s, media server %.2f s)%s"
        % (link.redacted(), me.name, me.identity, time.monotonic() - t0,
           t_api, s.connect_time,
           ", end-to-end encrypted, key index %d" % link.key_index
           if join.e2ee else ", NOT end-to-end encrypted"))
    return s


def stopper():
    """An event set by the first Ctrl-C or TERM; the second one exits."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def first():
        say("stopping (Ctrl-C again to quit at once)")
        stop.set()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: os._exit(130))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, first)
    return stop


def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


async def record(args):
    from .record import MANIFEST, Recorder

    link, creds = setup(args)
    out = args.out
    if os.path.exists(os.path.join(out, MANIFEST)):
        raise errors.Usage("%s already holds a recording" % out)
    if not 1 <= args.fps <= 60:
        raise errors.Usage("--fps is 1..60")
    if not media.ffmpeg_path():
        raise errors.Usage("ffmpeg is missing (Debian: apt-get install "
                           "ffmpeg); video is encoded with it")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise errors.Usage("cannot make %s: %s" % (out, e.strerror)) from None
    stop = stopper()
    s = await joined(link, creds, "Recorder",
                     "audio" if args.audio_only else "all")
    enc = ["-c:v", "libx264", "-preset", args.preset, "-crf", "23",
           "-pix_fmt", "yuv420p"]
    rec = Recorder(s, out, args.fps, enc, say)
    rec.start_existing()
    rec.write_manifest()
    status = None
    try:
        status = await watch(s, rec, args, stop)
    finally:
        await rec.stop()
        await s.close()
    summary(s, rec)
    failed = [h for h in s.health.values()
              if s.join.e2ee and h.undecryptable and not h.ok]
    if failed and not any(h.ok for h in s.health.values()):
        raise errors.Undecryptable(
            "nothing decrypted with this link's key; %s"
            % "; ".join("%s: %s" % (h.label, h.why()) for h in failed))
    if status:
        raise status


async def watch(s, rec, args, stop):
    """Until Ctrl-C, --duration, the room's end or our removal."""
    end = time.monotonic() + args.duration if args.duration else None
    last = 0.0
    while True:
        now = time.monotonic()
        if stop.is_set():
            return None
        if end and now >= end:
            say("--duration reached")
            return None
        if s.disconnected.is_set():
            return ended(s.disconnect_reason)
        if s.seen_anyone and s.alone_since \
                and now - s.alone_since >= args.alone_exit:
            say("everyone has left: the meeting is over")
            return None
        if now - last >= Progress.every:
            last = now
            audio, frames = rec.counts()
            bad = sum(h.undecryptable for h in s.health.values())
            Progress.show("recording %s | %d participant%s | audio %.0f s, "
                          "video %d frames | undecryptable %.0f s"
                          % (clock(rec.now()), len(s.room.remote_participants),
                             "" if len(s.room.remote_participants) == 1 else "s",
                             audio, frames, bad))
        await asyncio.sleep(0.2)


def ended(reason):
    from livekit.rtc import DisconnectReason as R

    if reason in (R.ROOM_DELETED, R.ROOM_CLOSED):
        say("the meeting was closed")
        return None
    if reason == R.PARTICIPANT_REMOVED:
        return errors.Removed("removed from the room (by a moderator or "
                              "the server)")
    if reason == R.DUPLICATE_IDENTITY:
        return errors.Removed("the same account joined the room elsewhere")
    why = R.Name(reason) if reason is not None else "no reason given"
    return errors.Network("the connection to the meeting was lost (%s)" % why)


def clock(secs):
    secs = int(secs)
    return "%d:%02d:%02d" % (secs // 3600, secs // 60 % 60, secs % 60)


def summary(s, rec):
    Progress.clear()
    me, kids = cpu()
    say("recorded %s into %s (CPU: bot %.1f s, ffmpeg %.1f s)"
        % (clock(rec.now()), rec.out, me, kids))
    for ident, h in s.health.items():
        files = rec.entries.get(ident, [])
        if s.join.e2ee and not h.ok and h.undecryptable:
            say("  %s: NOT DECRYPTED (%.0f s of media), no file: %s"
                % (h.label, h.undecryptable, h.why()))
            continue
        parts = []
        for e in files:
            w = e.writer
            if e.kind == "audio":
                parts.append("%s %.1f s" % (e.rel, w.seconds))
            else:
                parts.append("%s %dx%d %d frames%s" % (
                    e.rel, *(w.size or (0, 0)), w.received,
                    " (ERROR %s)" % w.error if w.error else ""))
        say("  %s: %s" % (h.label, ", ".join(parts) or "nothing sent"))


async def say_cmd(args):
    from . import say as saymod

    link, creds = setup(args)
    decoder = saymod.Decoder(args.file)
    await decoder.open()
    stop = stopper()
    try:
        s = await joined(link, creds, "Announcer", "audio")
        try:
            done = await saymod.run(s, decoder, args.wait, say, stop)
            if s.disconnected.is_set():
                err = ended(s.disconnect_reason)
                if err:
                    raise err
        finally:
            await s.close()
    finally:
        await decoder.close()
    if done is None:
        say("stopped before anyone listened")
        return
    me, kids = cpu()
    played, took = done
    say("said %.1f s of %s in %.1f s (CPU: bot %.1f s, ffmpeg %.1f s)"
        % (played, args.file, took, me, kids))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(format="%(name)s: %(message)s")
    # the SDK's own chatter (queue overflows, reconnects) only when asked
    logging.getLogger("livekit").setLevel(
        logging.INFO if args.verbose else logging.CRITICAL)
    run = record if args.command == "record" else say_cmd
    status = 0
    try:
        asyncio.run(run(args))
    except errors.BotError as e:
        say(e.message)
        status = e.status
    except KeyboardInterrupt:
        status = 130
    # Files are closed and the room left. Skip the interpreter's teardown:
    # the SDK's native side can abort while it is being unloaded.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
