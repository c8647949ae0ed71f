"""Meeting links: http(s)://host/r/<room>#key=<room key>[&ki=<key index>].

The fragment (after "#") never reaches a server. "key" is the room key
(keys.decode_key); "ki", the key index it is held at, is 0 when absent and is
what a rotated key's link will carry (docs/e2ee.md, "Rotation").
"""

import urllib.parse

from . import keys


class BadLink(ValueError):
    pass


class Link:
    def __init__(self, origin, room, key, key_index):
        self.origin = origin          # "https://host[:port]", no path
        self.room = room              # the room's name, decoded
        self.key = key                # 32 bytes, or None: no "#key="
        self.key_index = key_index

    def redacted(self):
        """The link without its key: safe for logs and messages."""
        return "%s/r/%s" % (self.origin, urllib.parse.quote(self.room, safe=""))


def parse(text):
    text = (text or "").strip()
    if not text:
        raise BadLink("no meeting link given")
    try:
        u = urllib.parse.urlsplit(text)
        port = u.port               # raises on a bad port
    except ValueError as e:
        raise BadLink("not a meeting link: %s" % e) from None
    if u.scheme not in ("http", "https") or not u.hostname:
        raise BadLink("not a meeting link (it must start with https:// or "
                      "http:// and name a host)")
    if u.username or u.password:
        raise BadLink("a meeting link carries no user name or password")
    parts = u.path.split("/")
    if len(parts) != 3 or parts[0] != "" or parts[1] != "r" or not parts[2]:
        raise BadLink("not a meeting link: its path must be /r/<room>, "
                      "not %r" % (u.path or "/"))
    try:
        room = urllib.parse.unquote(parts[2], errors="strict")
    except UnicodeDecodeError:
        raise BadLink("the room name in the link is not valid UTF-8") from None
    if not room.strip():
        raise BadLink("the link names no room")

    host = u.hostname if ":" not in u.hostname else "[%s]" % u.hostname
    origin = "%s://%s%s" % (u.scheme, host, ":%d" % port if port else "")

    key, index = None, 0
    if u.fragment:
        params = {}
        for item in u.fragment.split("&"):
            name, eq, value = item.partition("=")
            if not eq:
                raise BadLink("the part after '#' in the link is damaged: "
                              "expected key=...")
            if name in params:
                raise BadLink("the link names %r twice" % name)
            params[name] = value
        if "key" in params:
            try:
                key = keys.decode_key(params["key"])
            except keys.BadKey as e:
                raise BadLink(str(e)) from None
        if "ki" in params:
            v = params["ki"]
            if not v.isdigit() or int(v) >= keys.KEY_RING_SIZE:
                raise BadLink("the key index in the link (ki=%s) is not "
                              "0..%d" % (v, keys.KEY_RING_SIZE - 1))
            if key is None:
                raise BadLink("the link has a key index but no key")
            index = int(v)
    return Link(origin, room, key, index)
