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
- Errors that depend on stored state, or on what a JSON Schema cannot
  state: a response of the document that lists them under
  `x-valid-input-errors` may answer a schema-valid request with one of
  them; the fuzzer's "schema-valid request rejected" is dropped for
  exactly those (and reported as dropped).

Environment: BEDRUD_FUZZ_SECRET (file of the JWT secret), BEDRUD_FUZZ_UID
(the fixture's id), BEDRUD_FUZZ_REDIS (host:port:db of its Redis),
BEDRUD_FUZZ_SPEC (openapi.yaml), BEDRUD_FUZZ_DROPPED (a file that gets a
line per failure dropped).
"""

import base64
import hashlib
import hmac
import json
import os
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
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


_host, _port, _db = os.environ["BEDRUD_FUZZ_REDIS"].split(":")
_RESET = _resp(["SELECT", _db]) + _resp([
    "HSET", "bedrud:user:{%s}" % UID, "name", "Fuzz", "provider", "local",
    "accesses", '["user","superadmin"]', "isActive", "1", "pwhash", "",
]) + _resp(["SADD", "bedrud:superadmins", UID])


def reset_fixture():
    with socket.create_connection((_host, int(_port)), timeout=5) as s:
        s.sendall(_RESET)
        got = b""
        while got.count(b"\r\n") < 3:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk


@schemathesis.hook
def before_call(context, case, kwargs):
    reset_fixture()


# --- errors a schema-valid request may get, as the document says ---------

with open(os.environ["BEDRUD_FUZZ_SPEC"]) as f:
    _SPEC = yaml.safe_load(f)


def _allowed(method, path, status):
    op = _SPEC.get("paths", {}).get(path, {}).get(method.lower(), {})
    resp = op.get("responses", {}).get(str(status), {})
    return set(resp.get("x-valid-input-errors", []))


_DROPPED = os.environ.get("BEDRUD_FUZZ_DROPPED")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) != "ST202":
        return True
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        return True
    if error not in _allowed(case.method, case.operation.path,
                             response.status_code):
        return True
    if _DROPPED:
        # what was let through, for the test's report
        with open(_DROPPED, "a") as f:
            f.write(f"{case.method} {case.operation.path} "
                    f"{response.status_code} {error}\n")
    return False
