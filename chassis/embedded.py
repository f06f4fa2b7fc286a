"""The embedded MongoDB for development and tests: nx-27017 (wire protocol on SQLite) as a child.

It is real wire protocol through the real driver; product code never knows it is talking to it.
"""

import ctypes
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

_LAUNCH = "import sys; from nx_27017.nx_27017 import main; sys.argv[0] = 'nx-27017'; sys.exit(main())"


def _die_with_parent() -> None:
    """The embedded server must not outlive whoever started it, however that process ends (uvicorn
    re-raises SIGTERM after its shutdown, so a `finally` in the parent never runs)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedMongo:
    """Start with `start()`, stop with `stop()`; data lives in one SQLite file per database."""

    def __init__(self, data_dir: Path | str, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout_s: float = 20.0) -> "EmbeddedMongo":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "nx-27017.log"
        self._process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
             "-p", str(self.port), "--log-file", str(log), "--pid-file", str(self.data_dir / "nx-27017.pid")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with {self._process.returncode}; see {log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nx-27017 did not listen on port {self.port} within {timeout_s}s; see {log}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
