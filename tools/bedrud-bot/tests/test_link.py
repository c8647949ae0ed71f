import unittest

from bedrud_bot import link

KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"


class Parse(unittest.TestCase):
    def test_web_client_link(self):
        l = link.parse("https://meet.example.org/r/team-sync#key=" + KEY)
        self.assertEqual(l.origin, "https://meet.example.org")
        self.assertEqual(l.room, "team-sync")
        self.assertEqual(l.key, bytes(range(32)))
        self.assertEqual(l.key_index, 0)
        self.assertEqual(l.redacted(), "https://meet.example.org/r/team-sync")

    def test_port_escapes_index(self):
        l = link.parse("  http://127.0.0.1:8080/r/a%20b#key=" + KEY + "&ki=3\n")
        self.assertEqual(l.origin, "http://127.0.0.1:8080")
        self.assertEqual(l.room, "a b")
        self.assertEqual(l.key_index, 3)
        self.assertEqual(l.redacted(), "http://127.0.0.1:8080/r/a%20b")

    def test_no_key(self):
        l = link.parse("http://h/r/plain")
        self.assertIsNone(l.key)
        self.assertIsNone(link.parse("http://h/r/plain#").key)

    def test_ipv6(self):
        self.assertEqual(link.parse("http://[::1]:9/r/x").origin, "http://[::1]:9")

    def test_bad(self):
        for text, why in (
                ("", "no meeting link"),
                ("team-sync", "must start with"),
                ("ftp://h/r/x", "must start with"),
                ("https:///r/x", "must start with"),
                ("https://u:p@h/r/x", "user name"),
                ("https://h/", "/r/<room>"),
                ("https://h/room/x", "/r/<room>"),
                ("https://h/r/x/y", "/r/<room>"),
                ("https://h/r/", "/r/<room>"),
                ("https://h/r/%20", "no room"),
                ("https://h/r/%ff", "UTF-8"),
                ("https://h:99999/r/x", "not a meeting link"),
                ("https://h/r/x#" + KEY, "damaged"),
                ("https://h/r/x#key=" + KEY[:-1], "cut short"),
                ("https://h/r/x#key=%s&key=%s" % (KEY, KEY), "twice"),
                ("https://h/r/x#key=%s&ki=16" % KEY, "0..15"),
                ("https://h/r/x#key=%s&ki=-1" % KEY, "0..15"),
                ("https://h/r/x#ki=1", "no key")):
            with self.subTest(text=text):
                with self.assertRaises(link.BadLink) as e:
                    link.parse(text)
                self.assertIn(why, str(e.exception))


if __name__ == "__main__":
    unittest.main()
