"""Two checkouts of lawful measured at the same moments, for a host whose speed drifts.

This host's speed moves by a fifth or more from one minute to the next, so "before" and
"after" measured minutes apart compare the host with itself. Here both run at once:

* **in process** — one process per checkout, both pinned to the same core and running
  access lifecycles through :mod:`lawful.requests.flows` (``bench_requests --flows``) in
  blocks; the CPU per lifecycle of each block, and each step's median;
* **over HTTP** — one uvicorn server per checkout on one SQLite store, answering alternate
  one-client access lifecycles (``bench_requests``' lifecycle: submit, code by mail, verify,
  act, link by mail, download, complete, answer by mail); p50, mean and server CPU of each.

``python -m benchmarks.side_by_side /path/to/other/checkout`` (the current checkout is the
other side: the one this module is run from).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("other", type=Path, help="the other checkout (its root folder)")
    parser.add_argument("--blocks", type=int, default=8, help="in process: blocks per side")
    parser.add_argument("--per", type=int, default=40, help="in process: lifecycles per block")
    parser.add_argument("--http", type=int, default=150, help="HTTP: lifecycles per side")
    parser.add_argument("--core", type=int, default=1, help="in process: the core both share")
    parser.add_argument(
        "--worker", nargs=3, metavar=("BLOCKS", "PER", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:  # one side of the in-process comparison, started by in_process()
        blocks, per, out = args.worker
        Path(out).write_text(json.dumps(_flows_blocks(int(blocks), int(per))))
        return 0
    sides = {"other": args.other.resolve(), "this": HERE}
    if args.blocks:
        in_process(sides, args)
    if args.http:
        over_http(sides, args.http)
    return 0


def _pythonpath(root: Path) -> str:
    return f"{root / 'src'}{os.pathsep}{root}"


def in_process(sides: dict[str, Path], args: argparse.Namespace) -> None:
    print(f"in process, both on core {args.core} at once: {args.blocks} blocks of {args.per}")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="lawful-side-") as tmp:
        running = {}
        for name, root in sides.items():
            out = Path(tmp) / f"{name}.json"
            # This file, with the side's own lawful and benchmarks first on the path.
            command = ["taskset", "-c", str(args.core), sys.executable, __file__, "."]
            command += ["--worker", str(args.blocks), str(args.per), str(out)]
            env = {**os.environ, "PYTHONPATH": _pythonpath(root)}
            running[name] = (subprocess.Popen(command, cwd=root, env=env), out)  # noqa: S603
        for name, (process, out) in running.items():
            if process.wait() != 0:
                raise RuntimeError(f"the {name} side failed")
            results[name] = json.loads(out.read_text())
    for name, result in results.items():
        blocks = ", ".join(f"{b:.2f}" for b in result["blocks"])
        print(f"  {name:5} median {statistics.median(result['blocks']):.2f} ms  ({blocks})")
    for step in results["this"]["steps"]:
        other = results["other"]["steps"].get(step, float("nan"))
        print(f"    {step:26} other {other:.2f}  this {results['this']['steps'][step]:.2f} ms")


def _flows_blocks(blocks: int, per: int) -> dict[str, Any]:
    """CPU per access lifecycle in ``blocks`` blocks of ``per``, and each step's median."""
    from benchmarks import bench_requests as bench

    steps: dict[str, list[float]] = {}

    def step(name: str, work: Any) -> Any:
        began = time.process_time()
        result = work()
        steps.setdefault(name, []).append(time.process_time() - began)
        return result

    with tempfile.TemporaryDirectory(prefix="lawful-side-") as tmp:
        lawful = bench.open_bench(Path(tmp), f"sqlite:///{tmp}/lawful.db")
        try:
            bench.seed(lawful, 3000)
            for i in range(10):  # unmeasured: the first PDF reads the font files
                bench._one_flow(lawful, i, lambda _name, work: work())
            spent, person = [], 10
            for _ in range(blocks):
                began = time.process_time()
                for _ in range(per):
                    bench._one_flow(lawful, person, step)
                    person += 1
                spent.append((time.process_time() - began) / per * 1000)
        finally:
            lawful.close()
    medians = {name: statistics.median(times) * 1000 for name, times in steps.items()}
    return {"blocks": spent, "steps": medians}


def over_http(sides: dict[str, Path], count: int) -> None:
    from tests.requests_support import smtp_server

    from benchmarks import bench_http
    from benchmarks import bench_requests as bench

    print(f"over HTTP, one client, {count} lifecycles per side answered in turns")
    with tempfile.TemporaryDirectory(prefix="lawful-side-") as tmp:
        lawful = bench.open_bench(Path(tmp), f"sqlite:///{tmp}/lawful.db")
        try:
            bench.seed(lawful, 5000)
            with smtp_server() as (inbox, url):
                lawful.settings = replace(lawful.settings, smtp_url=url)
                _alternate(lawful, inbox, sides, count, bench, bench_http)
        finally:
            lawful.close()


def _alternate(
    lawful: Any, inbox: Any, sides: dict[str, Path], count: int, bench: Any, bench_http: Any
) -> None:
    servers: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
    try:
        for name, root in sides.items():
            base = f"http://127.0.0.1:{bench_http.free_port()}"
            server = bench._start_server(lawful, False, base, None, code=root)
            servers[name] = (base, server)
        for base, _ in servers.values():
            bench._await_health(base)
        people = iter(range(10**9))
        for base, _ in servers.values():  # unmeasured: the first PDF reads the font files
            for _ in range(10):
                bench.lifecycle(base, inbox, next(people))
        took: dict[str, list[float]] = {name: [] for name in servers}
        cpu = {name: bench_http.process_cpu_seconds([s.pid]) for name, (_, s) in servers.items()}
        for i in range(count):
            for name in list(servers)[:: 1 if i % 2 == 0 else -1]:
                took[name].append(bench.lifecycle(servers[name][0], inbox, next(people)))
        for name, (_, server) in servers.items():
            spent = (bench_http.process_cpu_seconds([server.pid]) - cpu[name]) / count * 1000
            p50, mean = statistics.median(took[name]) * 1000, statistics.mean(took[name]) * 1000
            print(f"  {name:5} p50 {p50:.1f} ms  mean {mean:.1f} ms  server CPU {spent:.1f} ms")
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
