"""The client's call machinery against a scripted peer (tests/peer.py):
multiplexing, deadlines, cancellation, connection-level failures, limits."""

import gc
import signal
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from steward_client import StatusCode, StewardError, health_v1, rpc_v1, v1

from .peer import ScriptedPeer

CHECK = "/grpc.health.v1.Health/Check"
WATCH = "/grpc.health.v1.Health/Watch"
SERVING = health_v1.HealthCheckResponse(status=health_v1.HealthCheckResponse.SERVING).SerializeToString()
NOT_SERVING = health_v1.HealthCheckResponse(status=health_v1.HealthCheckResponse.NOT_SERVING).SerializeToString()


class ClientTestCase(unittest.TestCase):
    def setUp(self):
        self.peer = ScriptedPeer()
        self.addCleanup(self.peer.close)
        self.client = self.peer.client
        self.pool = ThreadPoolExecutor(max_workers=4)
        self.addCleanup(self.pool.shutdown, wait=True, cancel_futures=True)

    def in_background(self, function, *args, **kwargs):
        return self.pool.submit(function, *args, **kwargs)

    def assertFails(self, future_or_callable, code, *args):
        with self.assertRaises(StewardError) as caught:
            if callable(future_or_callable):
                future_or_callable(*args)
            else:
                future_or_callable.result(timeout=5)
        self.assertEqual(caught.exception.code, code, caught.exception)
        return caught.exception


class UnaryTests(ClientTestCase):
    def test_request_frame_and_typed_response(self):
        future = self.in_background(self.client.call, CHECK, {"service": "steward.v1.Users"}, 5,
                                    {"x-trace": "abc"})
        request = self.peer.receive()
        self.assertEqual(request.kind, rpc_v1.FRAME_KIND_REQUEST)
        self.assertEqual(request.method, CHECK)
        self.assertEqual(request.timeout_ms, 5000)
        self.assertGreater(request.call_id, 0)
        self.assertEqual([(m.key, m.value) for m in request.metadata], [("x-trace", "abc")])
        self.assertEqual(health_v1.HealthCheckRequest.FromString(request.payload).service, "steward.v1.Users")
        self.peer.end(request.call_id, payload=SERVING)
        response = future.result(timeout=5)
        self.assertIsInstance(response, health_v1.HealthCheckResponse)
        self.assertEqual(response.status, health_v1.HealthCheckResponse.SERVING)

    def test_no_timeout_sends_zero(self):
        future = self.in_background(self.client.whoami)
        request = self.peer.receive()
        self.assertEqual(request.timeout_ms, 0)
        self.peer.end(request.call_id, payload=v1.WhoAmIResponse(uid=7).SerializeToString())
        self.assertEqual(future.result(timeout=5).uid, 7)

    def test_sub_millisecond_timeout_rounds_up(self):
        self.in_background(self.client.call, CHECK, None, 0.0001)
        self.assertEqual(self.peer.receive().timeout_ms, 1)

    def test_answers_in_any_order_reach_their_callers(self):
        futures = [self.in_background(self.client.call, CHECK, {"service": f"s{i}"}) for i in range(3)]
        requests = [self.peer.receive() for _ in range(3)]
        self.assertEqual(len({r.call_id for r in requests}), 3)
        for request in reversed(requests):
            service = health_v1.HealthCheckRequest.FromString(request.payload).service
            self.peer.end(request.call_id, code=StatusCode.NOT_FOUND, message=f"unknown {service}")
        for i, future in enumerate(futures):
            self.assertEqual(self.assertFails(future, StatusCode.NOT_FOUND).message, f"unknown s{i}")

    def test_error_carries_method_trailers_and_details(self):
        future = self.in_background(self.client.call, CHECK)
        request = self.peer.receive()
        self.peer.send(call_id=request.call_id, kind=rpc_v1.FRAME_KIND_END,
                       metadata=[rpc_v1.MetadataEntry(key="retry-after-ms", value="100")],
                       status=rpc_v1.Status(code=14, message="draining",
                                            details=[rpc_v1.StatusDetail(type="t", value=b"v")]))
        error = self.assertFails(future, StatusCode.UNAVAILABLE)
        self.assertEqual((error.message, error.method), ("draining", CHECK))
        self.assertEqual(error.trailers, [("retry-after-ms", "100")])
        self.assertEqual([(d.type, d.value) for d in error.details], [("t", b"v")])

    def test_unknown_method_by_path_returns_bytes_or_the_given_type(self):
        future = self.in_background(self.client.call, "/steward.v2.New/Thing", v1.WhoAmIRequest())
        self.peer.end(self.peer.receive().call_id, payload=b"\x08\x05")
        self.assertEqual(future.result(timeout=5), b"\x08\x05")
        future = self.in_background(self.client.call, "/steward.v2.New/Thing", b"\x01",
                                    response_type=v1.WhoAmIResponse)
        request = self.peer.receive()
        self.assertEqual(request.payload, b"\x01")
        self.peer.end(request.call_id, payload=b"\x08\x05")
        self.assertEqual(future.result(timeout=5).uid, 5)

    def test_wrong_request_type_is_refused_before_sending(self):
        with self.assertRaises(TypeError):
            self.client.call(CHECK, v1.WhoAmIRequest())
        self.assertTrue(self.peer.nothing_sent())

    def test_undecodable_response_is_internal(self):
        future = self.in_background(self.client.call, CHECK)
        self.peer.end(self.peer.receive().call_id, payload=b"\xff\xff")
        self.assertFails(future, StatusCode.INTERNAL)


class DeadlineTests(ClientTestCase):
    def test_silent_daemon_deadline_exceeded_on_time_then_cancel(self):
        started = time.monotonic()
        error = self.assertFails(self.client.call, StatusCode.DEADLINE_EXCEEDED, CHECK, None, 0.2)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.2)
        self.assertLess(elapsed, 1.0)
        self.assertEqual(error.method, CHECK)
        request = self.peer.receive()
        self.assertEqual(request.timeout_ms, 200)
        cancel = self.peer.receive()
        self.assertEqual((cancel.kind, cancel.call_id), (rpc_v1.FRAME_KIND_CANCEL, request.call_id))

    def test_deadline_bounds_a_send_the_daemon_never_reads(self):
        # The peer never reads: a 2 MB request fills the socket's buffer.
        started = time.monotonic()
        error = self.assertFails(self.client.call, StatusCode.DEADLINE_EXCEEDED, CHECK,
                                 {"service": "x" * 2_000_000}, 0.3)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.3)
        self.assertLess(elapsed, 1.5)
        self.assertIn("still being sent", error.message)
        # A frame cut short cannot be resumed: the connection is done.
        self.assertFails(self.client.call, StatusCode.DEADLINE_EXCEEDED, CHECK, None, 1)

    def test_late_answer_is_dropped_and_the_connection_goes_on(self):
        self.assertFails(self.client.call, StatusCode.DEADLINE_EXCEEDED, CHECK, None, 0.05)
        late = self.peer.receive()
        self.peer.end(late.call_id, code=StatusCode.DEADLINE_EXCEEDED)
        future = self.in_background(self.client.call, CHECK)
        request = self.peer.receive()
        while request.kind == rpc_v1.FRAME_KIND_CANCEL:
            request = self.peer.receive()
        self.assertNotEqual(request.call_id, late.call_id)  # ids are never reused
        self.peer.end(request.call_id, payload=SERVING)
        self.assertEqual(future.result(timeout=5).status, 1)

    def test_default_timeout_applies(self):
        self.client.default_timeout = 0.05
        self.assertFails(self.client.call, StatusCode.DEADLINE_EXCEEDED, CHECK)
        self.assertEqual(self.peer.receive().timeout_ms, 50)

    def test_expired_timeout_fails_without_sending(self):
        self.assertFails(self.client.call, StatusCode.DEADLINE_EXCEEDED, CHECK, None, 0)
        self.assertTrue(self.peer.nothing_sent())


class StreamTests(ClientTestCase):
    def test_messages_then_end(self):
        stream = self.client.stream(WATCH, {"service": ""})
        request = self.peer.receive()
        self.peer.message(request.call_id, SERVING)
        self.peer.message(request.call_id, NOT_SERVING)
        self.peer.end(request.call_id, metadata=[rpc_v1.MetadataEntry(key="k", value="v")])
        self.assertEqual([m.status for m in stream], [1, 2])
        self.assertEqual(stream.code, StatusCode.OK)
        self.assertEqual(stream.trailers, [("k", "v")])
        self.assertEqual(list(stream), [])

    def test_failure_after_messages_raises(self):
        stream = self.client.stream(WATCH)
        request = self.peer.receive()
        self.peer.message(request.call_id, SERVING)
        self.peer.end(request.call_id, code=StatusCode.INTERNAL, message="internal error")
        self.assertEqual(next(stream).status, 1)
        self.assertFails(next, StatusCode.INTERNAL, stream)
        self.assertEqual(stream.code, StatusCode.INTERNAL)

    def test_cancel_sends_cancel_and_stops_the_iteration(self):
        stream = self.client.stream(WATCH)
        request = self.peer.receive()
        self.peer.message(request.call_id, SERVING)
        self.assertEqual(next(stream).status, 1)
        stream.cancel()
        cancel = self.peer.receive()
        self.assertEqual((cancel.kind, cancel.call_id), (rpc_v1.FRAME_KIND_CANCEL, request.call_id))
        self.assertEqual(list(stream), [])
        self.assertEqual(stream.code, StatusCode.CANCELLED)
        stream.cancel()  # idempotent: no second CANCEL
        self.peer.end(request.call_id, code=StatusCode.CANCELLED)
        self.assertTrue(self.peer.nothing_sent())

    def test_leaving_a_with_block_cancels(self):
        with self.client.stream(WATCH) as stream:
            self.peer.receive()
        self.assertTrue(stream.done)
        self.assertEqual(self.peer.receive().kind, rpc_v1.FRAME_KIND_CANCEL)

    def test_dropping_an_unfinished_stream_cancels(self):
        self.client.stream(WATCH)  # result dropped at once
        gc.collect()
        request = self.peer.receive()
        cancel = self.peer.receive()
        self.assertEqual((cancel.kind, cancel.call_id), (rpc_v1.FRAME_KIND_CANCEL, request.call_id))

    def test_deadline_covers_the_whole_stream(self):
        stream = self.client.stream(WATCH, None, 0.2)
        request = self.peer.receive()
        self.peer.message(request.call_id, SERVING)
        self.assertEqual(next(stream).status, 1)
        self.assertFails(next, StatusCode.DEADLINE_EXCEEDED, stream)
        self.assertEqual(self.peer.receive().kind, rpc_v1.FRAME_KIND_CANCEL)

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
    def test_keyboard_interrupt_while_waiting_cancels(self):
        stream = self.client.stream(WATCH)
        request = self.peer.receive()
        main = threading.main_thread().ident
        interrupter = threading.Timer(0.1, signal.pthread_kill, (main, signal.SIGINT))
        interrupter.start()
        self.addCleanup(interrupter.cancel)
        with self.assertRaises(KeyboardInterrupt):
            next(stream)
        cancel = self.peer.receive()
        self.assertEqual((cancel.kind, cancel.call_id), (rpc_v1.FRAME_KIND_CANCEL, request.call_id))
        self.assertEqual(stream.code, StatusCode.CANCELLED)



class InterruptTests(ClientTestCase):
    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
    def test_keyboard_interrupt_during_a_unary_call_without_deadline_cancels(self):
        main = threading.main_thread().ident
        interrupter = threading.Timer(0.1, signal.pthread_kill, (main, signal.SIGINT))
        interrupter.start()
        self.addCleanup(interrupter.cancel)
        with self.assertRaises(KeyboardInterrupt):
            self.client.call(CHECK)
        request = self.peer.receive()
        cancel = self.peer.receive()
        self.assertEqual((cancel.kind, cancel.call_id), (rpc_v1.FRAME_KIND_CANCEL, request.call_id))
        self.assertEqual(self.client._calls, {})


class ConnectionTests(ClientTestCase):
    def test_call_id_zero_fails_every_call_in_flight_and_later_ones(self):
        futures = [self.in_background(self.client.call, CHECK) for _ in range(3)]
        stream = self.client.stream(WATCH)
        for _ in range(4):
            self.peer.receive()
        self.peer.end(0, code=StatusCode.UNAVAILABLE, message="idle for 300000 ms")
        for future in futures:
            self.assertEqual(self.assertFails(future, StatusCode.UNAVAILABLE).message, "idle for 300000 ms")
        self.assertFails(next, StatusCode.UNAVAILABLE, stream)
        self.assertFails(self.client.call, StatusCode.UNAVAILABLE, CHECK)
        self.assertTrue(self.client.closed)

    def test_daemon_closing_fails_calls_unavailable(self):
        future = self.in_background(self.client.call, CHECK)
        self.peer.receive()
        self.peer.sock.shutdown(2)
        self.assertFails(future, StatusCode.UNAVAILABLE)

    def test_oversized_request_refused_before_sending(self):
        peer = ScriptedPeer(max_frame_bytes=1024)
        self.addCleanup(peer.close)
        error = self.assertFails(peer.client.call, StatusCode.RESOURCE_EXHAUSTED, CHECK, {"service": "x" * 1024})
        self.assertIn("1024", error.message)
        self.assertTrue(peer.nothing_sent())
        future = self.in_background(peer.client.call, CHECK, {"service": "x" * 900})  # still usable
        peer.end(peer.receive().call_id, payload=SERVING)
        self.assertEqual(future.result(timeout=5).status, 1)

    def test_oversized_answer_fails_the_connection(self):
        peer = ScriptedPeer(max_frame_bytes=1024)
        self.addCleanup(peer.close)
        future = self.in_background(peer.client.call, CHECK)
        peer.receive()
        peer.send_raw(b"\x00\x00\x00\x04\x01")  # a 1025-byte frame announced; never sent
        self.assertFails(future, StatusCode.RESOURCE_EXHAUSTED)

    def test_garbage_fails_the_connection(self):
        future = self.in_background(self.client.call, CHECK)
        self.peer.receive()
        self.peer.send_raw(b"\x00\x00\x00\x00\x02\xff\xff")
        self.assertFails(future, StatusCode.INTERNAL)

    def test_close_fails_calls_in_flight_cancelled(self):
        future = self.in_background(self.client.call, CHECK)
        self.peer.receive()
        self.client.close()
        self.assertFails(future, StatusCode.CANCELLED)
        self.assertFails(self.client.call, StatusCode.CANCELLED, CHECK)
        self.client.close()  # twice is fine

    def test_stubs_from_the_contract(self):
        future = self.in_background(self.client.connections.Get, key="sales", timeout=3)
        request = self.peer.receive()
        self.assertEqual(request.method, "/steward.v1.Connections/Get")
        self.assertEqual(v1.GetConnectionRequest.FromString(request.payload).key, "sales")
        self.assertEqual(request.timeout_ms, 3000)
        self.peer.end(request.call_id, payload=v1.GetConnectionResponse(
            connection=v1.Connection(key="sales")).SerializeToString())
        self.assertEqual(future.result(timeout=5).connection.key, "sales")
        self.assertIn("Sync", dir(self.client.connections))
        self.assertIn("stream steward.v1.SyncProgress", self.client.connections.Sync.__doc__)
        with self.assertRaises(AttributeError):
            _ = self.client.connections.Frobnicate
        with self.assertRaises(TypeError):
            self.client.users.Get(v1.GetUserRequest(), name="x")

    def test_helpers_follow_pages(self):
        future = self.in_background(lambda: [u.name for u in self.client.list_users(page_size=1)])
        for page, (names, token) in enumerate([(["a"], "t1"), (["b"], "t2"), ([], "")]):
            frame = self.peer.receive()
            request = v1.ListUsersRequest.FromString(frame.payload)
            self.assertEqual(request.page_token, ["", "t1", "t2"][page])
            self.assertEqual(request.page_size, 1)
            response = v1.ListUsersResponse(users=[v1.User(name=n) for n in names], next_page_token=token)
            self.peer.end(frame.call_id, payload=response.SerializeToString())
        self.assertEqual(future.result(timeout=5), ["a", "b"])


if __name__ == "__main__":
    unittest.main()
