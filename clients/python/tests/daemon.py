"""Starts a real stewardd for the integration tests, on a socket of its own."""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from steward_client import StewardClient, StewardError, health_v1

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DEFAULT_BINARY = REPO_ROOT / ".build" / "debug" / "stewardd"
STARTUP_DEADLINE_S = 20.0


def stewardd_binary() -> pathlib.Path:
    """``$STEWARD_STEWARDD`` (which must exist), else .build/debug/stewardd
    (skipping the integration tests when it has not been built)."""
    explicit = os.environ.get("STEWARD_STEWARDD")
    if explicit:
        path = pathlib.Path(explicit)
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"STEWARD_STEWARDD={explicit} is not an executable")
        return path
    if not os.access(DEFAULT_BINARY, os.X_OK):
        raise unittest.SkipTest(
            f"no stewardd at {DEFAULT_BINARY}: build it (swift build --product stewardd) "
            "or set STEWARD_STEWARDD")
    return DEFAULT_BINARY


class Daemon:
    """``stewardd --state-dir <tmp> --socket <tmp>/s.sock``, ready when it
    answers Health.Check SERVING; SIGTERM on stop."""

    def __init__(self) -> None:
        self.binary = stewardd_binary()
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="steward-py-"))
        self.state_dir = self.directory / "state"
        self.socket_path = str(self.directory / "s.sock")
        self.log_path = self.directory / "stewardd.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Daemon:
        # Nothing from the caller's environment may point it elsewhere.
        env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(self.binary), "--state-dir", str(self.state_dir), "--socket", self.socket_path,
                 "--recheck-interval-s", "0", "--drain-grace-ms", "2000"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with StewardClient.connect(self.socket_path, connect_timeout=1) as client:
                    if client.health_check(timeout=1) == health_v1.HealthCheckResponse.SERVING:
                        return
            except StewardError as error:
                last_error = error
            try:  # waits for the next poll, and notices a daemon that died
                code = self.process.wait(timeout=0.02)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"stewardd exited with {code} before serving:\n{self.log()}")
        raise RuntimeError(
            f"stewardd did not serve within {STARTUP_DEADLINE_S} s ({last_error}):\n{self.log()}")

    def client(self, **options) -> StewardClient:
        return StewardClient.connect(self.socket_path, **options)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> int | None:
        """SIGTERM, then its exit code (SIGKILL if it does not drain in time)."""
        code = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait()
        elif self.process is not None:
            code = self.process.returncode
        shutil.rmtree(self.directory, ignore_errors=True)
        return code
