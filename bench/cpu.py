"""Where the CPU went during a phase (Linux /proc): the app (gunicorn), PostgreSQL, this bench process
(its load-generating client threads or the in-process calls), pgbench, and everything else on the machine.

PostgreSQL backends serving other databases count as "other". The "other" share flags a noisy neighbour
(other test suites, browsers, …): anything it takes is missing from the figures. Processes that exit during
a phase (pgbench itself, short-lived connections) are also counted as "other".
"""
from __future__ import annotations

import os
import time

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _total_busy() -> float | None:
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def _postgres_is_ours(pid: str, databases: tuple[str, ...]) -> bool:
    """A backend serving one of our databases, or a server process (checkpointer, WAL writer, …)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    words = title.split()
    # Backends are titled "postgres: 15/main: <user> <database> <client> <state>".
    if len(words) >= 5 and words[0] == "postgres:" and ("(" in title or "127.0.0.1" in title or "[local]" in title):
        return words[3] in databases
    return True


def _processes(app_pgid: int | None, databases: tuple[str, ...] = ()) -> dict[str, float]:
    me = os.getpid()
    out = {"app": 0.0, "postgres": 0.0, "bench": 0.0, "pgbench": 0.0}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        pgid = int(rest[2])
        cpu = (int(rest[11]) + int(rest[12])) / TICKS
        pid = int(name)
        if pid == me:
            out["bench"] += cpu
        elif app_pgid is not None and pgid == app_pgid:
            out["app"] += cpu
        elif comm.startswith("postgres") or comm.startswith("postmaster"):
            if not databases or _postgres_is_ours(name, databases):
                out["postgres"] += cpu
        elif comm == "pgbench":
            out["pgbench"] += cpu
    return out


class CpuMeter:
    """with CpuMeter(app_pgid) as m: …  then m.shares: CPU-seconds per group and as a share of all CPUs."""

    def __init__(self, app_pgid: int | None = None, databases: tuple[str, ...] = ()):
        self.app_pgid = app_pgid
        self.databases = databases
        self.shares: dict | None = None

    def __enter__(self):
        self.t0 = time.monotonic()
        self.busy0 = _total_busy()
        self.p0 = _processes(self.app_pgid, self.databases) if self.busy0 is not None else None
        return self

    def __exit__(self, *exc):
        if self.busy0 is None:
            return False
        elapsed = time.monotonic() - self.t0
        busy = _total_busy() - self.busy0
        p1 = _processes(self.app_pgid, self.databases)
        # Processes that ended during the phase (pgbench, manage.py) are lost from the per-process sums.
        used = {k: max(p1[k] - self.p0.get(k, 0.0), 0.0) for k in p1}
        used["other"] = max(busy - sum(used.values()), 0.0)
        capacity = elapsed * (os.cpu_count() or 1)
        self.shares = {
            "cpus": os.cpu_count(),
            "elapsed_s": round(elapsed, 2),
            "busy_pct": round(100 * busy / capacity, 1) if capacity else None,
            **{f"{k}_pct": round(100 * v / capacity, 1) for k, v in used.items() if capacity},
        }
        return False

    def line(self) -> str:
        if not self.shares:
            return ""
        s = self.shares
        parts = [f"{k[:-4]} {s[k]:.0f}%" for k in ("app_pct", "postgres_pct", "bench_pct", "pgbench_pct", "other_pct") if s.get(k)]
        return f"CPU of {s['cpus']} cores: busy {s['busy_pct']:.0f}% = " + ", ".join(parts)
