"""Load generation: keep-alive HTTP clients on threads, closed-loop and rate-limited open-loop.

A request factory `make(tid, n)` returns a `Call` for client `tid`'s n-th request. Latency is measured
per request with time.perf_counter; in the open-loop runs it is measured from the moment the request
was *scheduled*, so a server that falls behind shows its queueing delay (no coordinated omission).
"""
from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Call:
    method: str
    path: str
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    expect: int = 200


@dataclass
class Result:
    ok: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful calls only
    statuses: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # a few bodies of unexpected answers

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct_ms(self, p: float) -> float | None:
        return percentile_ms(self.latencies, p)

    def merge(self, other: "Result") -> None:
        self.ok += other.ok
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        if len(self.samples) < 5:
            self.samples.extend(other.samples[: 5 - len(self.samples)])

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "elapsed_s": round(self.elapsed, 3),
            "per_second": round(self.rate, 1),
            "p50_ms": _r(self.pct_ms(50)),
            "p95_ms": _r(self.pct_ms(95)),
            "p99_ms": _r(self.pct_ms(99)),
            "max_ms": _r(max(self.latencies) * 1000 if self.latencies else None),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=lambda kv: str(kv[0]))},
            "unexpected_samples": self.samples,
        }


def _r(value):
    return round(value, 2) if value is not None else None


def percentile_ms(latencies: list[float], p: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not latencies:
        return None
    ordered = sorted(latencies)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1] * 1000


class Client:
    """One keep-alive connection; reconnects after a transport error."""

    def __init__(self, host: str, port: int, default_headers: dict, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.default_headers = default_headers
        self.conn: http.client.HTTPConnection | None = None

    def send(self, call: Call) -> tuple[int | str, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {**self.default_headers, **call.headers}
        try:
            self.conn.request(call.method, call.path, body=call.body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            if response.will_close:
                self.close()
            return response.status, data
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return f"transport:{type(exc).__name__}", b""

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def _record(result: Result, call: Call, status, data: bytes, latency: float) -> None:
    result.statuses[status] += 1
    if status == call.expect:
        result.ok += 1
        result.latencies.append(latency)
    elif len(result.samples) < 5:
        result.samples.append(f"{status}: {data[:300].decode(errors='replace')}")


def closed_loop(*, host: str, port: int, headers: dict, make: Callable[[int, int], Call], clients: int, duration: float) -> Result:
    """`clients` threads each send the next request as soon as the previous answer arrives."""
    results = [Result() for _ in range(clients)]
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(tid: int) -> None:
        client = Client(host, port, headers)
        out = results[tid]
        n = 0
        start_gate.wait()
        try:
            while time.perf_counter() < stop_at[0]:
                call = make(tid, n)
                n += 1
                t0 = time.perf_counter()
                status, data = client.send(call)
                _record(out, call, status, data, time.perf_counter() - t0)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(tid,), daemon=True) for tid in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + duration
    start_gate.wait()
    for thread in threads:
        thread.join()
    total = Result(elapsed=time.perf_counter() - began)
    for item in results:
        total.merge(item)
    return total


def open_loop(*, host: str, port: int, headers: dict, make: Callable[[int, int], Call], rate: float, clients: int, duration: float) -> Result:
    """Requests are scheduled at a fixed total `rate` (spread over `clients` connections) whatever the
    server does; latency counts from the scheduled moment, so waiting behind a slow answer is included."""
    results = [Result() for _ in range(clients)]
    start_gate = threading.Barrier(clients + 1)
    t_zero = [0.0]
    per_client_interval = clients / rate

    def worker(tid: int) -> None:
        client = Client(host, port, headers)
        out = results[tid]
        start_gate.wait()
        first = t_zero[0] + tid / rate
        n = 0
        try:
            while True:
                scheduled = first + n * per_client_interval
                if scheduled >= t_zero[0] + duration:
                    break
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                call = make(tid, n)
                n += 1
                status, data = client.send(call)
                _record(out, call, status, data, time.perf_counter() - scheduled)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(tid,), daemon=True) for tid in range(clients)]
    for thread in threads:
        thread.start()
    t_zero[0] = time.perf_counter() + 0.05
    start_gate.wait()
    for thread in threads:
        thread.join()
    # The achieved rate is what was answered for the schedule of `duration` seconds.
    total = Result(elapsed=duration)
    for item in results:
        total.merge(item)
    return total


def sequential(*, host: str, port: int, headers: dict, make: Callable[[int, int], Call], count: int) -> Result:
    """One client, one request at a time: the latency of a request on an otherwise idle server."""
    client = Client(host, port, headers)
    out = Result()
    began = time.perf_counter()
    try:
        for n in range(count):
            call = make(0, n)
            t0 = time.perf_counter()
            status, data = client.send(call)
            _record(out, call, status, data, time.perf_counter() - t0)
    finally:
        client.close()
    out.elapsed = time.perf_counter() - began
    return out
