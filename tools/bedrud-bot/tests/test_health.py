"""Judging decryption from receiver statistics (session.sample)."""

import types
import unittest

from livekit import rtc

from bedrud_bot import session


def stats(packets, frames=0, samples=0, concealed=0):
    s = types.SimpleNamespace(
        inbound_rtp=types.SimpleNamespace(
            received=types.SimpleNamespace(packets_received=packets),
            inbound=types.SimpleNamespace(frames_decoded=frames,
                                          total_samples_received=samples,
                                          concealed_samples=concealed)))
    s.WhichOneof = lambda _: "inbound_rtp"
    return [s]


class Sample(unittest.TestCase):
    def feed(self, kind, series):
        th = session.TrackHealth(kind)
        for t, st in enumerate(series):
            session.sample(th, st, t * session.SAMPLE_EVERY)
        return th

    def test_video_decrypting(self):
        th = self.feed(rtc.TrackKind.KIND_VIDEO,
                       [stats(10, 5), stats(200, 40), stats(400, 80)])
        self.assertTrue(th.flowing and th.decrypting)
        self.assertEqual(th.undecryptable, 0)

    def test_video_wrong_key(self):
        # what a wrong key looks like: packets, no decoded frame
        th = self.feed(rtc.TrackKind.KIND_VIDEO,
                       [stats(100, 0), stats(300, 0), stats(500, 0), stats(700, 0)])
        self.assertTrue(th.flowing)
        self.assertFalse(th.decrypting)
        self.assertEqual(th.undecryptable, 3 * session.SAMPLE_EVERY)
        h = session.Health("a", "A")
        h.tracks["v"] = th
        self.assertTrue(h.failing(3 * session.SAMPLE_EVERY))
        self.assertFalse(h.failing(1 * session.SAMPLE_EVERY))

    def test_audio(self):
        # measured with a wrong key: every sample made up by the decoder
        bad = self.feed(rtc.TrackKind.KIND_AUDIO,
                        [stats(754, 0, 722400, 720660), stats(904, 0, 866880, 865140)])
        self.assertTrue(bad.flowing and not bad.decrypting)
        good = self.feed(rtc.TrackKind.KIND_AUDIO,
                         [stats(752, 0, 720960, 0), stats(902, 0, 865440, 0)])
        self.assertTrue(good.decrypting)

    def test_muted_is_not_failing(self):
        th = self.feed(rtc.TrackKind.KIND_VIDEO, [stats(100, 50), stats(100, 50),
                                                  stats(100, 50)])
        self.assertFalse(th.flowing)
        h = session.Health("a", "")
        h.tracks["v"] = th
        self.assertFalse(h.failing(100))
        self.assertEqual(h.label, "a")

    def test_why(self):
        h = session.Health("guest-x", "Bob")
        self.assertIn("different room key", h.why())
        h.missing_key = True
        self.assertIn("key index this link does not carry", h.why())
        self.assertEqual(h.label, "Bob (guest-x)")


if __name__ == "__main__":
    unittest.main()
