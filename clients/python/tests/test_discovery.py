"""Socket discovery: --socket, $STEWARD_SOCKET, the user's own daemon if its
socket is there, then the system daemon (the Swift SocketLocation's order)."""

import os
import pathlib
import unittest

from steward_client import StatusCode, StewardClient, StewardError
from steward_client.discovery import default_state_directory, locate_socket, resolve_socket_path


class DiscoveryTests(unittest.TestCase):
    def test_explicit_path_wins(self):
        env = {"STEWARD_SOCKET": "/env.sock", "STEWARD_STATE_DIR": "/state"}
        self.assertEqual(resolve_socket_path("/given.sock", env), "/given.sock")
        self.assertEqual(resolve_socket_path(pathlib.Path("/p.sock"), env), "/p.sock")

    def test_steward_socket_next(self):
        env = {"STEWARD_SOCKET": "/env.sock", "STEWARD_STATE_DIR": "/state", "XDG_STATE_HOME": "/xdg"}
        self.assertEqual(resolve_socket_path(None, env), "/env.sock")

    def own(self, env):
        """The user's own daemon's path, when its socket is there."""
        return locate_socket(None, env, socket_exists=lambda path: True)

    def test_state_dir_next(self):
        env = {"STEWARD_STATE_DIR": "/state", "XDG_STATE_HOME": "/xdg", "HOME": "/home/a"}
        self.assertEqual(self.own(env), ("/state/run/steward.sock", "user_daemon", None))
        self.assertEqual(str(self.own(env)), "/state/run/steward.sock (your own daemon's socket)")

    def test_xdg_state_home_next(self):
        env = {"XDG_STATE_HOME": "/xdg", "HOME": "/home/a"}
        self.assertEqual(self.own(env).path, "/xdg/steward/run/steward.sock")

    def test_home_last(self):
        self.assertEqual(self.own({"HOME": "/home/a"}).path, "/home/a/.local/state/steward/run/steward.sock")

    def test_empty_variables_count_as_unset(self):
        env = {"STEWARD_SOCKET": "", "STEWARD_STATE_DIR": "", "XDG_STATE_HOME": "", "HOME": "/h"}
        self.assertEqual(self.own(env).path, "/h/.local/state/steward/run/steward.sock")

    def test_system_daemon_when_the_user_has_none(self):
        found = locate_socket(None, {"HOME": "/home/a"}, socket_exists=lambda path: False)
        self.assertEqual(found.path, "/run/steward/steward.sock")
        self.assertEqual(found.source, "system_daemon")
        self.assertEqual(
            str(found),
            "/run/steward/steward.sock (the system daemon's socket; "
            "no socket of your own daemon at /home/a/.local/state/steward/run/steward.sock)")
        self.assertIn("systemctl start stewardd", found.next_step_when_unreachable)

    def test_system_socket_can_be_moved(self):
        env = {"HOME": "/home/a", "STEWARD_SYSTEM_SOCKET": "/tmp/t/steward.sock"}
        self.assertEqual(locate_socket(None, env, socket_exists=lambda path: False).path, "/tmp/t/steward.sock")

    def test_a_real_socket_file_is_found_and_a_missing_one_is_not(self):
        import socket
        import tempfile

        with tempfile.TemporaryDirectory() as state:
            env = {"STEWARD_STATE_DIR": state, "STEWARD_SYSTEM_SOCKET": state + "/system.sock"}
            self.assertEqual(resolve_socket_path(None, env), state + "/system.sock")
            os.mkdir(state + "/run")
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(state + "/run/steward.sock")
                self.assertEqual(locate_socket(None, env).source, "user_daemon")

    def test_without_home_uses_the_password_database(self):
        import pwd

        expected = pwd.getpwuid(os.getuid()).pw_dir + "/.local/state/steward"
        self.assertEqual(default_state_directory({}), expected)

    def test_process_environment_by_default(self):
        saved = os.environ.get("STEWARD_SOCKET")
        os.environ["STEWARD_SOCKET"] = "/from/environ.sock"
        try:
            self.assertEqual(resolve_socket_path(), "/from/environ.sock")
        finally:
            if saved is None:
                del os.environ["STEWARD_SOCKET"]
            else:
                os.environ["STEWARD_SOCKET"] = saved

    def test_connect_to_nothing_is_unavailable_naming_the_path(self):
        path = "/nonexistent/steward-client-test.sock"
        with self.assertRaises(StewardError) as caught:
            StewardClient.connect(environ={"STEWARD_SOCKET": path})
        self.assertEqual(caught.exception.code, StatusCode.UNAVAILABLE)
        self.assertIn(f"{path} (from $STEWARD_SOCKET)", caught.exception.message)
        self.assertIn("start stewardd with --socket", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
