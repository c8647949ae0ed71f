import http.server
import json
import os
import tempfile
import threading
import unittest

from bedrud_bot import api, errors, link


class Server(http.server.BaseHTTPRequestHandler):
    answers = []        # (status, body) per request, in order
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Server.seen.append((self.path, self.headers.get("Authorization"),
                            json.loads(body)))
        status, answer = Server.answers.pop(0)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


JOIN = {"token": "lk.jwt", "livekitHost": "/livekit", "settings": {"e2ee": True}}


class Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.httpd = http.server.HTTPServer(("127.0.0.1", 0), Server)
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        cls.origin = "http://127.0.0.1:%d" % cls.httpd.server_port

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()

    def setUp(self):
        Server.answers, Server.seen = [], []
        self.link = link.parse(self.origin + "/r/demo")

    def test_guest(self):
        Server.answers = [(200, JOIN)]
        j = api.join(self.link, api.Credentials({}), "Recorder")
        self.assertEqual(Server.seen, [("/api/room/guest-join", None,
                                        {"roomName": "demo", "guestName": "Recorder"})])
        self.assertEqual(j.url, "ws://127.0.0.1:%d/livekit" % self.httpd.server_port)
        self.assertTrue(j.e2ee)
        self.assertEqual(j.token, "lk.jwt")

    def test_account(self):
        Server.answers = [(200, {"tokens": {"accessToken": "acc"}}), (200, JOIN)]
        api.join(self.link, api.Credentials({"BEDRUD_EMAIL": "a@b.c",
                                             "BEDRUD_PASSWORD": "pw"}), "x")
        self.assertEqual(Server.seen[0], ("/api/auth/login", None,
                                          {"email": "a@b.c", "password": "pw"}))
        self.assertEqual(Server.seen[1], ("/api/room/join", "Bearer acc",
                                          {"roomName": "demo"}))

    def test_refusals(self):
        for status, msg, cls, text in (
                (403, "room is full", errors.Refused, "the room is full"),
                (403, "you are banned from this room", errors.Refused, "banned"),
                (403, "This room is private", errors.Refused, "BEDRUD_EMAIL"),
                (404, "Room not found", errors.Refused, "no such room"),
                (429, "Too many requests", errors.Refused, "wait a minute"),
                (500, "Failed to look up room", errors.Network, "failed (500")):
            with self.subTest(msg=msg):
                Server.answers = [(status, {"error": msg})]
                with self.assertRaises(cls) as e:
                    api.join(self.link, api.Credentials({"BEDRUD_GUEST": "G"}), "x")
                self.assertIn(text, e.exception.message)
                self.assertEqual(e.exception.status, 2 if cls is errors.Refused else 4,
                                 "the exit status")

    def test_503_is_tried_again(self):
        Server.answers = [(503, {"error": "service unavailable"}), (200, JOIN)]
        api.join(self.link, api.Credentials({}), "x")
        self.assertEqual(len(Server.seen), 2)

    def test_unreachable(self):
        l = link.parse("http://127.0.0.1:1/r/demo")
        with self.assertRaises(errors.Network) as e:
            api.join(l, api.Credentials({}), "x")
        self.assertIn("cannot reach http://127.0.0.1:1", e.exception.message)


class Pieces(unittest.TestCase):
    def test_signal_url(self):
        for host, want in (("/livekit", "wss://m.example/livekit"),
                           ("https://lk.example/", "wss://lk.example"),
                           ("http://127.0.0.1:7880", "ws://127.0.0.1:7880"),
                           ("wss://lk.example/x/", "wss://lk.example/x")):
            self.assertEqual(api.signal_url(host, "https://m.example"), want)
        with self.assertRaises(errors.Refused):
            api.signal_url("ftp://x", "https://m.example")

    def test_credentials_file(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c")
            with open(p, "w") as f:
                f.write("# the bot\nBEDRUD_EMAIL = a@b.c\n\nBEDRUD_PASSWORD=x=y\n")
            os.chmod(p, 0o644)
            warned = []
            got = api.read_credentials(p, warned.append)
            self.assertEqual(got, {"BEDRUD_EMAIL": "a@b.c", "BEDRUD_PASSWORD": "x=y"})
            self.assertTrue(warned and "chmod 600" in warned[0])
            os.chmod(p, 0o600)
            warned.clear()
            api.read_credentials(p, warned.append)
            self.assertEqual(warned, [])
            with open(p, "w") as f:
                f.write("PASSWORD=x\n")
            with self.assertRaises(errors.Usage):
                api.read_credentials(p, warned.append)
        with self.assertRaises(errors.Usage):
            api.read_credentials("/nonexistent/c", warned.append)

    def test_half_an_account(self):
        with self.assertRaises(errors.Usage):
            api.Credentials({"BEDRUD_EMAIL": "a@b.c"})


if __name__ == "__main__":
    unittest.main()
