"""The client against a real stewardd (tests/daemon.py starts one for this module)."""

import os
import socket
import sys
import threading
import time
import unittest

from steward_client import StatusCode, StewardClient, StewardError, health_v1, v1

from .daemon import Daemon

DAEMON: Daemon | None = None
SERVING = health_v1.HealthCheckResponse.SERVING
WATCH = "/grpc.health.v1.Health/Watch"


def setUpModule():
    global DAEMON
    DAEMON = Daemon().start()


def tearDownModule():
    if DAEMON is not None:
        code = DAEMON.stop()
        if code not in (0, None):
            print(f"warning: stewardd exited with {code} on SIGTERM", file=sys.stderr)


def wait_for(condition, timeout=5.0, message="condition"):
    """Polls ``condition`` until it returns a true value, or fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        time.sleep(0.02)


def settings(**overrides):
    fields = dict(deployment_type="SELF_MANAGED", host="127.0.0.1", port=5432,
                  state_database="steward_state", governed_databases=["app"],
                  username="steward", password="hunter2-secret")
    fields.update(overrides)
    return fields


class DaemonTestCase(unittest.TestCase):
    def setUp(self):
        self.client = DAEMON.client(default_timeout=10)
        self.addCleanup(self.client.close)


class BasicCallTests(DaemonTestCase):
    def test_health_check_is_serving(self):
        self.assertEqual(self.client.health_check(), SERVING)
        response = self.client.call("/grpc.health.v1.Health/Check", health_v1.HealthCheckRequest())
        self.assertEqual(response.status, SERVING)
        self.assertEqual(self.client.health.Check(service="steward.v1.Connections").status, SERVING)

    def test_health_check_of_an_unknown_service_is_not_found(self):
        with self.assertRaises(StewardError) as caught:
            self.client.health_check("steward.v1.Nothing")
        self.assertEqual(caught.exception.code, StatusCode.NOT_FOUND)

    def test_whoami_is_this_process(self):
        me = self.client.whoami()
        self.assertEqual(me.uid, os.getuid())
        self.assertEqual(me.pid, os.getpid())
        self.assertTrue(me.is_known)

    def test_server_info_reports_the_limits_this_client_assumes(self):
        info = self.client.server_info()
        self.assertEqual(info.limits.max_frame_bytes, self.client.max_frame_bytes)
        self.assertEqual(info.socket_path, DAEMON.socket_path)

    def test_connect_finds_the_socket_through_STEWARD_SOCKET(self):
        with StewardClient.connect(environ={"STEWARD_SOCKET": DAEMON.socket_path}) as client:
            self.assertEqual(client.health_check(timeout=5), SERVING)

    def test_connect_refuses_a_daemon_of_another_uid_before_sending(self):
        daemon_uid = os.getuid()  # the fixture's daemon runs as this process's user
        other = daemon_uid + 4242
        for kwargs in ({"expected_daemon_uid": other}, {"environ": {"STEWARD_EXPECT_DAEMON_UID": str(other)}}):
            with self.assertRaises(StewardError) as caught:
                StewardClient.connect(DAEMON.socket_path, **kwargs)
            self.assertEqual(caught.exception.code, StatusCode.UNAUTHENTICATED)
            self.assertIn(f"runs as uid {daemon_uid}, not uid {other} as expected", caught.exception.message)
        with StewardClient.connect(DAEMON.socket_path, expected_daemon_uid=daemon_uid) as client:
            self.assertEqual(client.health_check(timeout=5), SERVING)

    def test_unknown_method_is_unimplemented(self):
        for path in ("/steward.v1.Nope/Missing", "/steward.v1.Server/Missing"):
            with self.assertRaises(StewardError) as caught:
                self.client.call(path, b"")
            self.assertEqual(caught.exception.code, StatusCode.UNIMPLEMENTED, path)
            self.assertIn(path, caught.exception.message)
        self.assertEqual(self.client.health_check(), SERVING)  # the connection goes on

    def test_invalid_utf8_is_invalid_argument_naming_the_field(self):
        # protobuf's Python API will not build such a message; raw bytes will:
        # HealthCheckRequest { service (1) = "\xff\xfe" }.
        with self.assertRaises(StewardError) as caught:
            self.client.call("/grpc.health.v1.Health/Check", b"\x0a\x02\xff\xfe")
        self.assertEqual(caught.exception.code, StatusCode.INVALID_ARGUMENT)
        self.assertIn("service", caught.exception.message)


class ConcurrencyTests(DaemonTestCase):
    THREADS, CALLS_PER_THREAD = 8, 25

    def test_200_calls_from_8_threads_on_one_connection(self):
        for i in range(self.THREADS):
            self.client.create_user(f"load-{i}", 60000 + i)
        barrier = threading.Barrier(self.THREADS)
        results: list[list[str]] = [[] for _ in range(self.THREADS)]
        failures: list[BaseException] = []

        def work(i):
            try:
                barrier.wait(timeout=10)
                for j in range(self.CALLS_PER_THREAD):
                    if j % 2:
                        user = self.client.users.Get(name=f"load-{i}").user
                        assert (user.name, user.uid) == (f"load-{i}", 60000 + i), user
                        results[i].append(user.name)
                    else:
                        probe = f"probe-{i}-{j}"  # the answer must name this call's service
                        try:
                            self.client.health_check(probe)
                        except StewardError as error:
                            assert error.code == StatusCode.NOT_FOUND, error
                            assert probe in error.message, (probe, error.message)
                            results[i].append(probe)
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(self.THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertEqual(failures, [])
        self.assertEqual(sum(len(r) for r in results), self.THREADS * self.CALLS_PER_THREAD)
        self.assertEqual(self.client._calls, {})  # nothing left in flight


class StreamingTests(DaemonTestCase):
    def cancelled_watches(self):
        stats = self.client.server_stats()
        return sum(s.count for m in stats.methods if m.method == WATCH
                   for s in m.statuses if s.code == StatusCode.CANCELLED)

    def test_watch_then_cancel(self):
        before = self.cancelled_watches()
        stream = self.client.watch_health()
        self.assertEqual(next(stream).status, SERVING)
        stream.cancel()
        self.assertEqual(list(stream), [])  # the iterator stops
        self.assertEqual(stream.code, StatusCode.CANCELLED)
        # The daemon saw the CANCEL: it ended the call CANCELLED.
        wait_for(lambda: self.cancelled_watches() > before, message="Watch ended CANCELLED on the daemon")
        self.assertEqual(self.client.health_check(), SERVING)

    def test_breaking_out_of_a_with_block_cancels(self):
        before = self.cancelled_watches()
        with self.client.stream(WATCH) as stream:
            for response in stream:
                self.assertEqual(response.status, SERVING)
                break
        wait_for(lambda: self.cancelled_watches() > before, message="Watch ended CANCELLED on the daemon")

    def test_sync_of_a_connection_that_is_not_active_fails(self):
        self.client.register_connection("py-sync-inactive", **settings())
        stream = self.client.sync_connection("py-sync-inactive")
        with self.assertRaises(StewardError) as caught:
            list(stream)
        self.assertEqual(caught.exception.code, StatusCode.FAILED_PRECONDITION)
        self.assertEqual(stream.code, StatusCode.FAILED_PRECONDITION)


class DeadlineTests(DaemonTestCase):
    def test_call_that_never_finishes_is_deadline_exceeded_on_time(self):
        # Health.Watch answers the current status, then waits for changes
        # that do not come: the call cannot end before its deadline.
        before = self.watch_statuses()
        started = time.monotonic()
        stream = self.client.watch_health(timeout=0.5)
        self.assertEqual(next(stream).status, SERVING)
        with self.assertRaises(StewardError) as caught:
            next(stream)
        elapsed = time.monotonic() - started
        self.assertEqual(caught.exception.code, StatusCode.DEADLINE_EXCEEDED)
        self.assertGreaterEqual(elapsed, 0.5)
        self.assertLess(elapsed, 1.0)
        # The daemon ended it too (by its own deadline, or by the CANCEL
        # sent when the deadline passed here first).
        wait_for(lambda: self.watch_statuses() > before, message="Watch ended on the daemon")
        self.assertEqual(self.client.health_check(), SERVING)

    def test_deadline_reaches_database_work_on_the_daemon(self):
        # A TCP port that completes the handshake (the kernel's backlog) and
        # then never answers: libpq would wait for its SSL response forever.
        # The daemon bounds that wait by the call's timeout_ms (less a margin
        # to answer in), so Validate reports the connection unreachable
        # before the deadline instead of running into it.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        self.client.register_connection("py-silent", **settings(port=port))

        started = time.monotonic()
        response = self.client.validate_connection("py-silent", timeout=1.0)
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 1.0)
        self.assertGreater(elapsed, 0.5)
        self.assertFalse(response.report.passed)
        self.assertEqual(response.report.checks[0].name, "reachable")
        self.assertEqual(response.report.checks[0].status, v1.CHECK_STATUS_FAILED)
        self.assertEqual(response.connection.state, v1.CONNECTION_STATE_VALIDATION_FAILED)

    def watch_statuses(self):
        stats = self.client.server_stats()
        return sum(s.count for m in stats.methods if m.method == WATCH
                   for s in m.statuses if s.code in (StatusCode.DEADLINE_EXCEEDED, StatusCode.CANCELLED))


class RegistryTests(DaemonTestCase):
    def test_users_create_and_list_mappings(self):
        user = self.client.create_user("py-mapper", 61000, ["user-admin"])
        self.assertEqual((user.name, user.uid), ("py-mapper", 61000))
        self.assertEqual(list(user.permissions), [v1.PERMISSION_USER_ADMIN])
        self.client.set_mapping("py-mapper", "POSTGRES_USERNAME", "mapper_pg")

        mappings = self.client.list_mappings(user_name="py-mapper")
        self.assertEqual(len(mappings), 1)
        self.assertEqual((mappings[0].user_name, mappings[0].connection_key), ("py-mapper", ""))
        self.assertEqual(mappings[0].identity.kind, v1.IDENTITY_KIND_POSTGRES_USERNAME)
        self.assertEqual(mappings[0].identity.value, "mapper_pg")
        # The same through the generic call, by path.
        response = self.client.call("/steward.v1.Users/ListMappings", v1.ListMappingsRequest(user_name="py-mapper"))
        self.assertEqual(list(response.mappings), mappings)
        self.assertIn("py-mapper", [u.name for u in self.client.list_users(page_size=2)])

    def test_list_mappings_follows_every_page(self):
        for index in range(3):
            self.client.create_user(f"py-pager{index}", 61010 + index)
            self.client.set_mapping(f"py-pager{index}", "POSTGRES_USERNAME", f"pager_pg{index}")
        # One mapping per page: the helper follows next_page_token to the end.
        mappings = [m for m in self.client.list_mappings(page_size=1) if m.user_name.startswith("py-pager")]
        self.assertEqual([m.identity.value for m in mappings], ["pager_pg0", "pager_pg1", "pager_pg2"])
        first = self.client.call("/steward.v1.Users/ListMappings", v1.ListMappingsRequest(page_size=1))
        self.assertEqual(len(first.mappings), 1)
        self.assertNotEqual(first.next_page_token, "")

    def test_register_then_get_shows_the_password_redacted(self):
        registered = self.client.register_connection("py-redacted", **settings())
        self.assertEqual(registered.state, v1.CONNECTION_STATE_REGISTERED)
        self.assertEqual(registered.settings.password, "[REDACTED]")
        fetched = self.client.get_connection("py-redacted")
        self.assertEqual(fetched.settings.password, "[REDACTED]")
        self.assertEqual(list(fetched.settings.governed_databases), ["app"])
        self.assertNotIn(b"hunter2", fetched.SerializeToString())
        self.assertIn("py-redacted", [c.key for c in self.client.list_connections(state="registered")])
        self.assertEqual(list(self.client.list_data_sources(connection_key="py-redacted")), [])
        events = self.client.list_audit_events(connection_key="py-redacted",
                                               method="/steward.v1.Connections/Register")
        self.assertEqual(next(events).code, StatusCode.OK)

    def test_empty_display_name_is_invalid_argument_naming_the_field(self):
        with self.assertRaises(StewardError) as caught:
            self.client.register_connection("", **settings())
        self.assertEqual(caught.exception.code, StatusCode.INVALID_ARGUMENT)
        self.assertIn("display_name", caught.exception.message)

    def test_duplicate_registration_is_already_exists(self):
        self.client.register_connection("py-twice", **settings())
        with self.assertRaises(StewardError) as caught:
            self.client.register_connection("py-twice", **settings())
        self.assertEqual(caught.exception.code, StatusCode.ALREADY_EXISTS)


if __name__ == "__main__":
    unittest.main()


class PolicyTests(DaemonTestCase):
    def test_groups_create_add_import_and_list(self):
        self.client.create_user("py-gm1", 61101)
        self.client.create_user("py-gm2", 61102)
        group = self.client.create_group("py-analysts")
        self.assertEqual(list(group.members), [])
        group = self.client.add_group_members("py-analysts", ["py-gm2", "py-gm1", "py-gm1"])
        self.assertEqual(list(group.members), ["py-gm1", "py-gm2"])
        with self.assertRaises(StewardError) as refused:
            self.client.import_group_members("group,user\npy-analysts,nobody-here\n")
        self.assertEqual(refused.exception.code, StatusCode.INVALID_ARGUMENT)
        self.assertIn("line 2: no user named", refused.exception.message)
        self.assertEqual(self.client.remove_group_member("py-analysts", "py-gm2").members, ["py-gm1"])
        self.assertEqual(self.client.import_group_members("py-analysts,py-gm2\n", dry_run=True), 1)
        self.assertEqual(list(self.client.get_group("py-analysts").members), ["py-gm1"])
        bound = self.client.create_group("py-ops", os_group="root")
        self.assertEqual(bound.os_group, "root")
        self.assertTrue({"py-analysts", "py-ops"} <= {g.name for g in self.client.list_groups(page_size=1)})
        self.client.delete_group("py-ops")
        self.assertEqual(self.client.set_identity_template("{name}_ro"), "{name}_ro")
        self.assertEqual(self.client.identity_template(), "{name}_ro")
        self.client.set_identity_template("")

    def test_policies_create_update_enforce_delete(self):
        self.client.register_connection("py-pol", settings())
        self.client.create_user("py-pu", 61103)
        policy = self.client.create_policy("py-read", "read", scopes=["py-pol/app"], users=["py-pu"])
        self.assertEqual((policy.access, policy.revision), (v1.POLICY_ACCESS_READ, 1))
        self.assertEqual((policy.scopes[0].connection_key, policy.scopes[0].database), ("py-pol", "app"))
        with self.assertRaises(StewardError) as unknown:
            self.client.create_policy("py-bad", "READ", scopes=["py-pol"], users=["nobody-here"])
        self.assertEqual(unknown.exception.code, StatusCode.NOT_FOUND)
        self.assertIn("subjects: no user named", unknown.exception.message)
        with self.assertRaises(StewardError) as invalid:
            self.client.create_policy("py-bad", "READ", users=["py-pu"])
        self.assertEqual(invalid.exception.code, StatusCode.INVALID_ARGUMENT)
        self.assertIn("policy.data_sources", invalid.exception.message)
        dry = self.client.update_policy("py-read", access="WRITE", dry_run=True)
        self.assertEqual((dry.access, dry.revision), (v1.POLICY_ACCESS_WRITE, 2))
        self.assertEqual(self.client.get_policy("py-read").access, v1.POLICY_ACCESS_READ)
        updated = self.client.update_policy("py-read", access="WRITE", expected_revision=1)
        self.assertEqual(updated.revision, 2)
        self.assertIn("py-read", [p.name for p in self.client.list_policies()])
        # This daemon has no PostgreSQL enforcer: Enforce says so.
        with self.assertRaises(StewardError) as enforce:
            self.client.enforce("py-pol", dry_run=True)
        self.assertEqual(enforce.exception.code, StatusCode.FAILED_PRECONDITION)
        with self.assertRaises(StewardError) as no_source:
            self.client.list_subscribers("py-pol.app.public.none")
        self.assertEqual(no_source.exception.code, StatusCode.NOT_FOUND)
        self.client.delete_policy("py-read")
        with self.assertRaises(StewardError) as gone:
            self.client.get_policy("py-read")
        self.assertEqual(gone.exception.code, StatusCode.NOT_FOUND)
