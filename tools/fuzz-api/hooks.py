"""Schemathesis hooks for the schema fuzz run of `make test`
(t/070-schema-fuzz.t, tools/fuzz-api/run).  Nothing here names a route:
what the fuzzer may not hold against the API comes from openapi.yaml.

- Credentials: every request gets a fresh access token of the fixture
  superadmin, minted here with the test secret, of a login session of its
  own (a logout the fuzzer makes ends that token only) and of a version
  above any the account reaches (a role change does not make later
  tokens stale).
- The fixture: before every request its account is put back as it was
  (name, roles, active, no password), so that nothing the fuzzer changed
  in it decides a later answer.  The API itself refuses to demote or
  deactivate the last superadmin.
- The fixture room (the superadmin's): put back as it was made before
  every request (its record and its name); half of the requests whose
  generated room id is a valid UUID name it instead, so that the routes
  of a room do their work rather than all finding no room.
- Errors that depend on stored state, or on what a JSON Schema cannot
  state: a response of the document that lists them under
  `x-valid-input-errors` may answer a schema-valid request with one of
  them; the fuzzer's "schema-valid request rejected" (and its "server
  error", for a 5xx listed so: Bedrud's 501 of routes it never
  implemented) is dropped for exactly those (and reported as dropped);
  an entry ending in "*" stands for every error it begins (one that
  names what it found: "unsupported image type: *").

Environment: BEDRUD_FUZZ_SECRET (file of the JWT secret), BEDRUD_FUZZ_UID
(the fixture's id), BEDRUD_FUZZ_ROOM (the fixture room's id and name),
BEDRUD_FUZZ_REDIS (host:port:db of its Redis), BEDRUD_FUZZ_SPEC
(openapi.yaml), BEDRUD_FUZZ_DROPPED (a file that gets a line per failure
dropped), BEDRUD_FUZZ_REACHED (a line per answer to a request that named
the fixture room).
"""

import base64
import hashlib
import hmac
import json
import os
import random
import re
import socket
import time
import uuid

import schemathesis
import yaml


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


with open(os.environ["BEDRUD_FUZZ_SECRET"], "rb") as f:
    SECRET = f.read().rstrip()

UID = os.environ["BEDRUD_FUZZ_UID"]


def mint():
    now = int(time.time())
    claims = {
        "userId": UID, "sub": UID, "email": "fuzz@example.com",
        "name": "Fuzz", "provider": "local",
        "accesses": ["user", "superadmin"], "iss": "bedrud",
        "aud": ["bedrud"], "iat": now, "nbf": now, "exp": now + 3600,
        "jti": str(uuid.uuid4()), "fam": str(uuid.uuid4()),
        "typ": "access", "ver": 2 ** 32,
    }
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256)
    return f"{head}.{body}.{_b64(sig.digest())}"


@schemathesis.auth(refresh_interval=None)
class FreshToken:
    def get(self, case, context):
        return mint()

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# --- the fixture account, put back before every request ------------------

def _resp(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class _Reader:
    """RESP replies, one at a time, off a socket."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("Redis closed the connection")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        return rest


_host, _port, _db = os.environ["BEDRUD_FUZZ_REDIS"].split(":")


def redis(*cmds):
    """Runs the commands in database _db; their replies."""
    with socket.create_connection((_host, int(_port)), timeout=5) as s:
        s.sendall(_resp(["SELECT", _db]) + b"".join(_resp(c) for c in cmds))
        r = _Reader(s)
        r.reply()
        return [r.reply() for _ in cmds]


ROOM, ROOM_NAME = os.environ["BEDRUD_FUZZ_ROOM"].split(" ", 1)
_ROOM_KEYS = ["bedrud:room:{%s}" % ROOM, "bedrud:roomname:%s" % ROOM_NAME]
_ROOM_DUMPS = redis(*[["DUMP", k] for k in _ROOM_KEYS])

_RESET = [
    ["HSET", "bedrud:user:{%s}" % UID, "name", "Fuzz", "provider", "local",
     "accesses", '["user","superadmin"]', "isActive", "1", "pwhash", ""],
    ["SADD", "bedrud:superadmins", UID],
] + [["RESTORE", k, "0", d, "REPLACE"] for k, d in zip(_ROOM_KEYS,
                                                       _ROOM_DUMPS)]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_REACHED = os.environ.get("BEDRUD_FUZZ_REACHED")


def reset_fixture():
    redis(*_RESET)


@schemathesis.hook
def before_call(context, case, kwargs):
    reset_fixture()
    params = case.path_parameters or {}
    rid = params.get("roomId")
    if isinstance(rid, str) and _UUID.match(rid) and random.random() < 0.5:
        params["roomId"] = ROOM
        case.headers = case.headers or {}
        # for after_call's count only; the module ignores it
        case.headers["X-Fuzz-Fixture"] = "1"


@schemathesis.hook
def after_call(context, case, response):
    if _REACHED and (case.headers or {}).get("X-Fuzz-Fixture"):
        with open(_REACHED, "a") as f:
            f.write(f"{case.method} {case.operation.path} "
                    f"{response.status_code}\n")


# --- errors a schema-valid request may get, as the document says ---------

with open(os.environ["BEDRUD_FUZZ_SPEC"]) as f:
    _SPEC = yaml.safe_load(f)


def _deref(node):
    # a response may be a "$ref" to components/responses (local refs only)
    while isinstance(node, dict) and "$ref" in node:
        target = _SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {})
        node = target
    return node


def _allowed(method, path, status):
    op = _SPEC.get("paths", {}).get(path, {}).get(method.lower(), {})
    resp = _deref(op.get("responses", {}).get(str(status), {}))
    return set(resp.get("x-valid-input-errors", []))


_DROPPED = os.environ.get("BEDRUD_FUZZ_DROPPED")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) not in ("ST202", "ST101"):
        return True
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        return True
    allowed = _allowed(case.method, case.operation.path,
                       response.status_code)
    if not isinstance(error, str) or not any(
            error == a or (a.endswith("*") and error.startswith(a[:-1]))
            for a in allowed):
        return True
    if _DROPPED:
        # what was let through, for the test's report
        with open(_DROPPED, "a") as f:
            f.write(f"{case.method} {case.operation.path} "
                    f"{response.status_code} {error}\n")
    return False
