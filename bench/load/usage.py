"""CPU used by the bench's client, the server (gunicorn and its PostgreSQL backends) and
the whole machine, read from /proc."""

import os
import time
from pathlib import Path

CLIENT_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _server_pids(master: int, database: str) -> dict[int, bool]:
    """gunicorn's master and workers (False), and the PostgreSQL backends of the bench's
    database (True)."""
    pids = {master: False}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids[int(entry.name)] = False
            elif "postgres" in stat and database.encode() in (entry / "cmdline").read_bytes():
                pids[int(entry.name)] = True
        except (OSError, ValueError, IndexError):
            continue
    return pids


def _machine() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine, every process of every user."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Usage:
    """CPU used by the client, the server (gunicorn + its database backends) and the whole
    machine between start() and stop(), in cores (1.0 = one core busy)."""

    def __init__(self, master: int, database: str) -> None:
        self.master, self.database = master, database

    def start(self) -> None:
        self.wall = time.monotonic()
        self.client = time.process_time()
        self.server = {pid: _proc_ticks(pid) for pid in _server_pids(self.master, self.database)}
        self.busy, self.total = _machine()

    def stop(self) -> dict:
        wall = time.monotonic() - self.wall
        # A process that ended meanwhile is missed (its last ticks are gone): a lower bound.
        used = {
            pid: (max(0, _proc_ticks(pid) - self.server.get(pid, 0)), postgres)
            for pid, postgres in _server_pids(self.master, self.database).items()
        }
        busy, total = _machine()
        return {
            "client_cores": (time.process_time() - self.client) / wall,
            "server_cores": sum(t for t, _ in used.values()) / CLIENT_TICKS / wall,
            "postgres_cores": sum(t for t, pg in used.values() if pg) / CLIENT_TICKS / wall,
            "machine_cores": (busy - self.busy) / max(1, total - self.total) * os.cpu_count(),
            "load": os.getloadavg()[0],
        }
