"""Access report rendering: CPU per ``report.package`` (at the operator's act) and ``finish``.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_report                 # 300 reports, best of 5 rounds

It seeds ``--reports`` synthetic people (5 values each) under the ru-design-studio policy,
builds each one's Russian report, then times, in rounds, ``package(report, "ru",
defer_pdf=True)`` (Markdown, HTML page, JSON, CSV in a ZIP) for all of them and ``finish``
(the PDF laid out at the download) for each ZIP, and prints the CPU time of one call, the
best round of each. The reports differ only in the date and the person's values, as in use.
To compare two trees, run it with each tree's ``src`` first on ``PYTHONPATH``, in turns.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import bench_requests
from lawful.requests import report
from lawful.subjects import service as subjects


def best_cpu_ms(fn: Callable[[], None], calls: int, rounds: int) -> float:
    """The CPU time of one call (of ``calls`` made by ``fn``) in the best of ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, (time.process_time() - start) / calls * 1000)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    seeding = bench_requests.parse_args(["--subjects", str(args.reports)])
    with tempfile.TemporaryDirectory() as root:
        with bench_requests.database(seeding, Path(root)) as url:
            lawful = bench_requests.open_bench(Path(root), url)
            ids = bench_requests.seed(lawful, args.reports)
            policy = lawful.require_policy()
            with lawful.sessions.begin() as session:
                exports = [
                    subjects.export_subject(
                        session=session, ring=lawful.ring, subject_id=i, actor="bench"
                    )
                    for i in ids
                ]
    built = [report.build(policy, e, "ru", datetime.now(UTC)) for e in exports]
    report.finish(report.package(built[0], "ru", defer_pdf=True))  # fonts cut, parser made
    zips = [report.package(r, "ru", defer_pdf=True) for r in built]

    def package_all() -> None:
        for r in built:
            report.package(r, "ru", defer_pdf=True)

    def finish_all() -> None:
        for data in zips:
            report.finish(data)

    packaged = best_cpu_ms(package_all, len(built), args.rounds)
    finished = best_cpu_ms(finish_all, len(zips), args.rounds)
    print(f"CPU per report: package(defer_pdf) {packaged:.3f} ms, finish {finished:.3f} ms")


if __name__ == "__main__":
    main()
