"""The embedded store never blocks a restart: its parent killed (SIGKILL) or stopped (SIGTERM) twenty times
each, a new parent starts it again at once on the same data and port, every time; what was written stays."""

import signal
import subprocess
import sys
from pathlib import Path

from pymongo import MongoClient

from chassis.embedded import EmbeddedMongo, free_port

ROOT = Path(__file__).resolve().parents[2]
# A process that starts the store as `crm dev` does, says so, and waits to be ended.
PARENT = ("import sys, time; from chassis.embedded import EmbeddedMongo; "
          "EmbeddedMongo(sys.argv[1], int(sys.argv[2])).start(); print('ready', flush=True); time.sleep(600)")


def a_parent(data_dir: Path, port: int) -> subprocess.Popen[str]:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(data_dir), str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = parent.stdout.readline() if parent.stdout else ""
    assert ready.strip() == "ready", parent.stderr.read() if parent.stderr else ready
    return parent


def test_the_store_starts_again_at_once_after_its_parent_was_killed_or_stopped_40_times(tmp_path: Path) -> None:
    port = free_port()
    for i, how in enumerate([signal.SIGKILL] * 20 + [signal.SIGTERM] * 20):
        parent = a_parent(tmp_path, port)
        if i == 0:
            with MongoClient(EmbeddedMongo(tmp_path, port).url) as client:
                client.crm.kept.insert_one({"_id": "written before the kills"})
        parent.send_signal(how)
        parent.wait(timeout=10)
    store = EmbeddedMongo(tmp_path, port).start()
    try:
        with MongoClient(store.url) as client:
            assert client.crm.kept.find_one({"_id": "written before the kills"}) is not None
    finally:
        store.stop()
