"""The embedded MongoDB for development and tests: nx-27017 (wire protocol on SQLite) as a child.

It is real wire protocol through the real driver; product code never knows it is talking to it.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

_LAUNCH = "import sys; from nx_27017.nx_27017 import main; sys.argv[0] = 'nx-27017'; sys.exit(main())"


def _die_with_parent() -> None:
    """The embedded server must not outlive whoever started it, however that process ends (uvicorn
    re-raises SIGTERM after its shutdown, so a `finally` in the parent never runs). SIGKILL, not SIGTERM:
    a child stuck in its own shutdown would hold the pid file and the SQLite lock and block every restart;
    SQLite keeps what was committed either way."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1
GRACE_S = 2.0  # for a stale or stopping server to end by itself before it is killed


def _end_stale(pid_file: Path) -> None:
    """A server an earlier process started on this data and left behind (hung, or orphaned where the
    parent-death signal does not exist) is ended before a new one starts on it."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)  # no such process (any more): a stale file
        return
    if b"nx_27017" in cmdline:
        _signal_until_gone(pid)
    pid_file.unlink(missing_ok=True)


def _signal_until_gone(pid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + GRACE_S
        while time.monotonic() < deadline:
            if not Path(f"/proc/{pid}").exists() or _zombie(pid):
                return
            time.sleep(0.02)


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    return True


def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


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

    @property
    def pid(self) -> int | None:
        """The server's process, while it runs (benches read its CPU)."""
        return self._process.pid if self._process else None

    def start(self, timeout_s: float = 20.0) -> "EmbeddedMongo":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log, errors = self.data_dir / "nx-27017.log", self.data_dir / "nx-27017.stderr.log"
        pid_file = self.data_dir / "nx-27017.pid"
        _end_stale(pid_file)
        with errors.open("ab") as stderr:  # the child keeps its own copy of the descriptor
            self._process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
                 "-p", str(self.port), "--log-file", str(log), "--pid-file", str(pid_file)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with {self._process.returncode}:\n{_tail(errors)}\n"
                                   f"(more in {errors} and {log})")
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
                self._process.wait(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
