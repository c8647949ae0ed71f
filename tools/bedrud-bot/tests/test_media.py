import os
import tempfile
import unittest
import wave

import numpy as np

from bedrud_bot import media


class WavFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "a.wav")

    def tearDown(self):
        self.dir.cleanup()

    def test_closed_file(self):
        w = media.Wav(self.path)
        tone = (np.sin(np.arange(48000 * 3) * 0.05) * 1000).astype("<i2")
        for i in range(0, len(tone), 480):
            w.write(tone[i:i + 480].tobytes())
        w.close()
        w.close()
        with wave.open(self.path) as r:
            self.assertEqual((r.getnchannels(), r.getsampwidth(), r.getframerate()),
                             (1, 2, 48000))
            self.assertEqual(r.getnframes(), 48000 * 3)
            self.assertEqual(r.readframes(480), tone[:480].tobytes())
        self.assertAlmostEqual(w.seconds, 3.0)

    def test_valid_while_written(self):
        # a recorder killed mid-way leaves the sizes of its last second
        w = media.Wav(self.path)
        for _ in range(250):                # 2.5 s of 10 ms frames
            w.write(bytes(960))
        w.f.flush()
        with wave.open(self.path) as r:
            self.assertEqual(r.getnframes(), 48000 * 2)
        w.close()
        with wave.open(self.path) as r:
            self.assertEqual(r.getnframes(), 48000 * 2.5)


class Frames(unittest.TestCase):
    def test_fit(self):
        y = np.arange(8 * 6, dtype=np.uint8).reshape(6, 8)
        u = np.full((3, 4), 7, dtype=np.uint8)
        v = np.full((3, 4), 9, dtype=np.uint8)
        y2, u2, v2 = media.fit((y, u, v), 8, 6, 16, 12)
        self.assertEqual(y2.shape, (12, 16))
        self.assertEqual(u2.shape, (6, 8))
        self.assertEqual(v2.shape, (6, 8))
        self.assertEqual(y2[0, 0], y[0, 0])
        self.assertEqual(y2[11, 15], y[5, 7])
        self.assertTrue((u2 == 7).all() and (v2 == 9).all())
        y3, u3, _ = media.fit((y, u, v), 8, 6, 4, 4)
        self.assertEqual((y3.shape, u3.shape), ((4, 4), (2, 2)))

    def test_planes(self):
        class F:
            width, height = 4, 2
            data = memoryview(bytes(range(8)) + bytes([100, 101]) + bytes([200, 201]))
        y, u, v = media.i420_planes(F)
        self.assertEqual(y.tolist(), [[0, 1, 2, 3], [4, 5, 6, 7]])
        self.assertEqual((u.tolist(), v.tolist()), ([[100, 101]], [[200, 201]]))


if __name__ == "__main__":
    unittest.main()
