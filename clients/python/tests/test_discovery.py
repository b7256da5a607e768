"""Socket discovery: --socket, $STEWARD_SOCKET, then <state dir>/run/steward.sock."""

import os
import pathlib
import unittest

from steward_client import StatusCode, StewardClient, StewardError
from steward_client.discovery import default_state_directory, resolve_socket_path


class DiscoveryTests(unittest.TestCase):
    def test_explicit_path_wins(self):
        env = {"STEWARD_SOCKET": "/env.sock", "STEWARD_STATE_DIR": "/state"}
        self.assertEqual(resolve_socket_path("/given.sock", env), "/given.sock")
        self.assertEqual(resolve_socket_path(pathlib.Path("/p.sock"), env), "/p.sock")

    def test_steward_socket_next(self):
        env = {"STEWARD_SOCKET": "/env.sock", "STEWARD_STATE_DIR": "/state", "XDG_STATE_HOME": "/xdg"}
        self.assertEqual(resolve_socket_path(None, env), "/env.sock")

    def test_state_dir_next(self):
        env = {"STEWARD_STATE_DIR": "/state", "XDG_STATE_HOME": "/xdg", "HOME": "/home/a"}
        self.assertEqual(resolve_socket_path(None, env), "/state/run/steward.sock")

    def test_xdg_state_home_next(self):
        env = {"XDG_STATE_HOME": "/xdg", "HOME": "/home/a"}
        self.assertEqual(resolve_socket_path(None, env), "/xdg/steward/run/steward.sock")

    def test_home_last(self):
        self.assertEqual(resolve_socket_path(None, {"HOME": "/home/a"}),
                         "/home/a/.local/state/steward/run/steward.sock")

    def test_empty_variables_count_as_unset(self):
        env = {"STEWARD_SOCKET": "", "STEWARD_STATE_DIR": "", "XDG_STATE_HOME": "", "HOME": "/h"}
        self.assertEqual(resolve_socket_path(None, env), "/h/.local/state/steward/run/steward.sock")

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
        self.assertIn(path, caught.exception.message)


if __name__ == "__main__":
    unittest.main()
