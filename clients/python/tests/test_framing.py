"""Framing, with no socket: encoding, decoding however reads cut the stream,
limits, and the byte-exact exchange from docs/protocol.md."""

import unittest

from steward_client import health_v1, rpc_v1
from steward_client.framing import (
    DEFAULT_MAX_FRAME_BYTES,
    FrameDecoder,
    FrameTooLarge,
    FramingError,
    encode_frame,
)

# docs/protocol.md, "A full unary exchange, byte by byte".
DOC_REQUEST = bytes.fromhex(
    "00" "00000025" "0801" "1001" "1a1c"
    "2f677270632e6865616c74682e76312e" "4865616c74682f436865636b"
    "208827"
)
DOC_RESPONSE = bytes.fromhex("00" "0000000a" "0801" "1003" "32020801" "3a00")


class DocumentedExchangeTests(unittest.TestCase):
    def test_request_encodes_to_the_documented_42_bytes(self):
        frame = rpc_v1.Frame(
            call_id=1,
            kind=rpc_v1.FRAME_KIND_REQUEST,
            method="/grpc.health.v1.Health/Check",
            timeout_ms=5000,
            payload=health_v1.HealthCheckRequest().SerializeToString(),
        )
        encoded = encode_frame(frame.SerializeToString())
        self.assertEqual(len(encoded), 42)
        self.assertEqual(encoded.hex(" "), DOC_REQUEST.hex(" "))

    def test_documented_response_decodes_to_serving(self):
        (body,) = FrameDecoder().feed(DOC_RESPONSE)
        frame = rpc_v1.Frame.FromString(body)
        self.assertEqual(frame.call_id, 1)
        self.assertEqual(frame.kind, rpc_v1.FRAME_KIND_END)
        self.assertTrue(frame.HasField("status"))
        self.assertEqual(frame.status.code, 0)
        response = health_v1.HealthCheckResponse.FromString(frame.payload)
        self.assertEqual(response.status, health_v1.HealthCheckResponse.SERVING)

    def test_documented_request_decodes_back(self):
        (body,) = FrameDecoder().feed(DOC_REQUEST)
        frame = rpc_v1.Frame.FromString(body)
        self.assertEqual(
            (frame.call_id, frame.kind, frame.method, frame.timeout_ms, frame.payload),
            (1, rpc_v1.FRAME_KIND_REQUEST, "/grpc.health.v1.Health/Check", 5000, b""),
        )


class EncodeTests(unittest.TestCase):
    def test_prefix_is_zero_flags_and_big_endian_length(self):
        self.assertEqual(encode_frame(b"\x01" * 300)[:5], b"\x00\x00\x00\x01\x2c")

    def test_empty_body(self):
        self.assertEqual(encode_frame(b""), b"\x00\x00\x00\x00\x00")

    def test_body_at_the_limit_is_accepted_and_one_over_refused(self):
        self.assertEqual(len(encode_frame(b"x" * 16, max_frame_bytes=16)), 21)
        with self.assertRaises(FrameTooLarge) as caught:
            encode_frame(b"x" * 17, max_frame_bytes=16)
        self.assertEqual((caught.exception.length, caught.exception.limit), (17, 16))

    def test_default_limit_is_the_daemons(self):
        self.assertEqual(DEFAULT_MAX_FRAME_BYTES, 4 * 1024 * 1024)


class DecodeTests(unittest.TestCase):
    def setUp(self):
        self.bodies = [b"", b"a", b"\x08\x01\x10\x03", b"z" * 70000]
        self.stream = b"".join(encode_frame(body) for body in self.bodies)

    def test_whole_stream_at_once(self):
        self.assertEqual(FrameDecoder().feed(self.stream), self.bodies)

    def test_one_byte_at_a_time(self):
        decoder, out = FrameDecoder(), []
        for i in range(len(self.stream)):
            out += decoder.feed(self.stream[i:i + 1])
        self.assertEqual(out, self.bodies)
        self.assertEqual(decoder.buffered, 0)

    def test_every_split_point_of_a_small_stream(self):
        stream = b"".join(encode_frame(body) for body in self.bodies[:3])
        for cut in range(len(stream) + 1):
            decoder = FrameDecoder()
            out = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
            self.assertEqual(out, self.bodies[:3], f"cut at {cut}")

    def test_partial_frame_waits_for_the_rest(self):
        decoder = FrameDecoder()
        self.assertEqual(decoder.feed(encode_frame(b"hello")[:7]), [])
        self.assertEqual(decoder.buffered, 7)
        self.assertEqual(decoder.feed(b"llo"), [b"hello"])

    def test_oversized_length_refused_from_the_prefix_alone(self):
        decoder = FrameDecoder(max_frame_bytes=1024)
        # Only the 5-byte prefix: no body is waited for or buffered.
        with self.assertRaises(FrameTooLarge) as caught:
            decoder.feed(b"\x00\x00\x00\x04\x01")
        self.assertEqual(caught.exception.length, 1025)
        self.assertEqual(decoder.buffered, 0)
        with self.assertRaises(FramingError):  # the stream cannot be resynchronised
            decoder.feed(encode_frame(b"ok"))

    def test_huge_length_is_refused_without_allocating(self):
        with self.assertRaises(FrameTooLarge):
            FrameDecoder().feed(b"\x00\xff\xff\xff\xff")

    def test_flags_refused(self):
        with self.assertRaises(FramingError) as caught:
            FrameDecoder().feed(b"\x01\x00\x00\x00\x00")
        self.assertNotIsInstance(caught.exception, FrameTooLarge)

    def test_frames_after_a_good_one_in_the_same_read(self):
        decoder = FrameDecoder(max_frame_bytes=8)
        with self.assertRaises(FrameTooLarge):
            decoder.feed(encode_frame(b"ok") + b"\x00\x00\x00\x00\x09")


if __name__ == "__main__":
    unittest.main()
