"""Joining a meeting through the module's API, as the web client does.

Who the bot is comes from the environment or a file, never from the command
line (ps shows command lines to every user of the machine):

  BEDRUD_ACCESS_TOKEN             an access token (the "accessToken" of a login)
  BEDRUD_EMAIL, BEDRUD_PASSWORD   an account: the bot logs in
  BEDRUD_GUEST                    a guest name (rooms that let guests in)
  --credentials FILE              the same NAME=value lines in a file

With none of them the bot joins as a guest under its default name.
"""

import json
import os
import socket
import stat
import time
import urllib.error
import urllib.parse
import urllib.request

from . import errors

TIMEOUT = 15
VARS = ("BEDRUD_ACCESS_TOKEN", "BEDRUD_EMAIL", "BEDRUD_PASSWORD",
        "BEDRUD_GUEST", "BEDRUD_LINK")


def read_credentials(path, warn):
    """NAME=value lines (# comments, blank lines) of the names in VARS."""
    try:
        st = os.stat(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise errors.Usage("cannot read the credentials file %s: %s"
                           % (path, e.strerror)) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn("%s can be read by other users (chmod 600 it)" % path)
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, eq, value = line.partition("=")
        name = name.strip()
        if not eq or name not in VARS:
            raise errors.Usage("%s line %d: expected one of %s=..."
                               % (path, n, ", ".join(VARS)))
        out[name] = value.strip()
    return out


class Credentials:
    def __init__(self, env):
        self.token = env.get("BEDRUD_ACCESS_TOKEN") or None
        self.email = env.get("BEDRUD_EMAIL") or None
        self.password = env.get("BEDRUD_PASSWORD") or None
        self.guest = env.get("BEDRUD_GUEST") or None
        if bool(self.email) != bool(self.password):
            raise errors.Usage("BEDRUD_EMAIL and BEDRUD_PASSWORD go together")

    @property
    def account(self):
        return bool(self.token or self.email)


class Join:
    """What a join answers: where LiveKit is, a token, the room's settings."""

    def __init__(self, data, origin):
        try:
            self.token = data["token"]
            host = data["livekitHost"]
            self.e2ee = bool(data.get("settings", {}).get("e2ee"))
        except (KeyError, TypeError, AttributeError):
            raise errors.Refused("the server's join answer lacks a token or "
                                 "livekitHost") from None
        if not isinstance(self.token, str) or not isinstance(host, str) \
                or not self.token or not host:
            raise errors.Refused("the server's join answer lacks a token or "
                                 "livekitHost")
        self.url = signal_url(host, origin)
        self.settings = data.get("settings", {})
        # the room's own name (a key rotation's messages are bound to it)
        name = data.get("name")
        self.name = name if isinstance(name, str) and name else None


def signal_url(host, origin):
    """LiveKit's signalling URL: livekitHost resolved against the meeting's
    origin (it may be relative, e.g. "/livekit"), http(s) made ws(s)."""
    u = urllib.parse.urlsplit(urllib.parse.urljoin(origin + "/", host))
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(u.scheme)
    if not scheme or not u.netloc:
        raise errors.Refused("the server gave an unusable livekitHost %r" % host)
    return urllib.parse.urlunsplit((scheme, u.netloc, u.path.rstrip("/"), "", ""))


# the module's error strings (Bedrud's), as a person would want them put
MEANING = {
    "room is full": "the room is full",
    "you are banned from this room": "you are banned from this room",
    "This room is private": "this room does not let guests in: give an "
        "account (BEDRUD_EMAIL and BEDRUD_PASSWORD, or BEDRUD_ACCESS_TOKEN)",
    "Room not found": "there is no such room (check the link)",
    "room is no longer active": "the room is no longer active",
    "Invalid credentials": "the email or password is wrong",
}


def call(origin, path, body, token=None, tries=3):
    """POST a JSON body; the answer's JSON, or errors.Refused / errors.Network.
    A 503 (the server's store is briefly unavailable) is tried again."""
    for n in range(tries):
        try:
            return _call(origin, path, body, token)
        except errors.Network as e:
            if getattr(e, "http", None) != 503 or n == tries - 1:
                raise
            time.sleep(0.5 * 2 ** n)


def _call(origin, path, body, token):
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "User-Agent": "bedrud-bot"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(origin + path, data=json.dumps(body).encode(),
                                 headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as res:
            raw = res.read(1 << 20)
    except urllib.error.HTTPError as e:
        raw = e.read(1 << 16)
        try:
            msg = json.loads(raw)["error"]
        except (ValueError, KeyError, TypeError):
            msg = e.reason
        nice = MEANING.get(msg, msg)
        if e.code == 429:
            nice = "too many attempts, wait a minute (%s)" % msg
        elif e.code == 401 and path == "/api/room/join":
            nice = "the access token is invalid or expired (%s)" % msg
        elif e.code >= 500:
            raise errors.Network("the server at %s failed (%d %s)"
                                 % (origin, e.code, msg), http=e.code) \
                from None
        raise errors.Refused(nice, http=e.code, detail=msg) from None
    except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
        why = getattr(e, "reason", e)
        raise errors.Network("cannot reach %s: %s" % (origin, why)) from None
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.Network("%s%s did not answer with JSON (is this a "
                             "Bedrud server?)" % (origin, path)) from None


def join(link, creds, default_name):
    """Joins `link`'s room: an account if there are credentials, else a guest."""
    if creds.account:
        token = creds.token
        if not token:
            data = call(link.origin, "/api/auth/login",
                        {"email": creds.email, "password": creds.password})
            try:
                token = data["tokens"]["accessToken"]
            except (KeyError, TypeError):
                raise errors.Refused("the login answer has no access token") \
                    from None
        data = call(link.origin, "/api/room/join", {"roomName": link.room}, token)
    else:
        data = call(link.origin, "/api/room/guest-join",
                    {"roomName": link.room,
                     "guestName": creds.guest or default_name})
    if not isinstance(data, dict):
        raise errors.Refused("the server's join answer is not an object")
    return Join(data, link.origin)
