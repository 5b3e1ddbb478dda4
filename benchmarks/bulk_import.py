"""Bulk ingestion alone: ``Service.import_ratings`` of the scale benchmark's 1M file.

Writes the synthetic data set once (``--data``: ratings.csv and films.json), then imports it
into a fresh embedded PostgreSQL home (films first) and prints wall-clock ratings/s, the CPU
seconds of the importing process and of PostgreSQL, for the whole import and per phase (``read``:
parsing and staging the file; ``learn``: the chunks), the importing process's RSS growth, and the
load average. ``--again`` imports the same file a second time into the same home (every row is
then ``unchanged``).

Overlap: a sampler process (not the importer's CPU) reads every 20 ms how long the importing
process's threads and PostgreSQL's processes have run (/proc/*/schedstat); the share of windows
where both ran, among those where either ran, shows how much of the two sides' work overlapped
(1.0 = always together, 0 = strictly one after the other). On a loaded machine both sides get
slices of the cores, so read it as "could overlap", not as a speed-up.

    nice -n 15 .venv/bin/python benchmarks/bulk_import.py --data /tmp/imp
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import PRESETS, _rss_mb, _server_cpu_s  # noqa: E402


def write_data(data_dir: Path, preset: str) -> Path:
    import numpy as np
    import polars as pl

    from personalization.data.synthetic import generate

    path = data_dir / f"ratings-{preset}.csv"
    films_path = data_dir / f"films-{preset}.json"
    if path.exists() and films_path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    n_users, n_films, mean = PRESETS[preset]
    data = generate(n_users=n_users, n_films=n_films, mean_ratings=mean, seed=25)
    r = data.ratings
    pl.DataFrame(
        {"userId": r.users, "movieId": r.films, "rating": r.stars.astype(np.float64), "timestamp": r.timestamps}
    ).with_columns(pl.col("timestamp").cast(pl.Int64)).write_csv(path)
    films_path.write_text(json.dumps(data.films, default=list))
    return path


def _ran_ns(pids: list[int], threads: bool) -> int:
    total = 0
    for pid in pids:
        paths = list(Path(f"/proc/{pid}/task").glob("*/schedstat")) if threads else [Path(f"/proc/{pid}/schedstat")]
        for path in paths:
            try:
                total += int(path.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total


def sample(importer: int, postmaster: int, out: Path) -> None:
    """Until stdin closes: every 20 ms, (monotonic time, importer ns, server ns) to ``out``."""
    import threading

    stop = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    server: list[int] = []
    rows, refreshed = [], 0.0
    while not stop.is_set():
        now = time.monotonic()
        if now - refreshed > 0.5:  # backends come and go
            server = [postmaster] + [
                int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit() and _parent(e) == postmaster
            ]
            refreshed = now
        rows.append((now, _ran_ns([importer], True), _ran_ns(server, False)))
        stop.wait(0.02)
    out.write_text(json.dumps(rows))


def _parent(entry: Path) -> int:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def overlap(rows: list[list[float]], start: float, end: float) -> float:
    """Windows in [start, end) where both sides ran (> 1 ms each), among those where either did."""
    both = either = 0
    for (t0, a0, b0), (_, a1, b1) in zip(rows, rows[1:]):
        if start <= t0 < end:
            ran_a, ran_b = a1 - a0 > 1e6, b1 - b0 > 1e6
            either += ran_a or ran_b
            both += ran_a and ran_b
    return both / either if either else float("nan")


def measure(path: Path, films_path: Path, home: Path, again: bool) -> list[dict[str, float]]:
    from personalization.config import Settings
    from personalization.core.catalogue import Film
    from personalization.service import Service

    films = [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in json.loads(films_path.read_text())
    ]
    reports = []
    with Service.open(Settings(home=home), listen=False) as svc:
        svc.import_films(films)
        for _ in range(2 if again else 1):
            marks: dict[str, tuple[float, float, float]] = {}

            def progress(
                phase: str, done: int, total: int, marks: dict[str, tuple[float, float, float]] = marks
            ) -> None:
                if phase == "learn" and "learn" not in marks:
                    marks["learn"] = (time.monotonic(), time.process_time(), _server_cpu_s(home))

            postmaster = int((home / "pgdata" / "postmaster.pid").read_text().split()[0])
            samples = home / "samples.json"
            sampler = subprocess.Popen(
                [sys.executable, __file__, "--sample", str(os.getpid()), str(postmaster), str(samples)],
                stdin=subprocess.PIPE,
            )
            time.sleep(1.0)

            rss = _rss_mb("VmRSS")
            load0 = os.getloadavg()[0]
            start = (time.monotonic(), time.process_time(), _server_cpu_s(home))
            read, result = svc.import_ratings(path, progress=progress)
            end = (time.monotonic(), time.process_time(), _server_cpu_s(home))
            assert sampler.stdin is not None
            sampler.stdin.close()
            sampler.wait(30)
            rows = json.loads(samples.read_text())
            mid = marks.get("learn", end)
            wall, cli, srv = (end[i] - start[i] for i in range(3))
            reports.append(
                {
                    "ratings": read,
                    "applied": result.applied,
                    "unchanged": result.unchanged,
                    "wall_s": wall,
                    "per_s": read / wall,
                    "importer_cpu_s": cli,
                    "server_cpu_s": srv,
                    "per_cpu_s": read / (cli + srv),
                    "read_wall_s": mid[0] - start[0],
                    "read_importer_cpu_s": mid[1] - start[1],
                    "read_server_cpu_s": mid[2] - start[2],
                    "learn_wall_s": end[0] - mid[0],
                    "learn_importer_cpu_s": end[1] - mid[1],
                    "learn_server_cpu_s": end[2] - mid[2],
                    "overlap": overlap(rows, start[0], end[0]),
                    "learn_overlap": overlap(rows, mid[0], end[0]),
                    "rss_growth_mb": _rss_mb("VmHWM") - rss,
                    "load_average": (load0 + os.getloadavg()[0]) / 2,
                }
            )
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/tmp/imp"), help="where the data set is written once")
    parser.add_argument("--preset", choices=list(PRESETS), default="1m")
    parser.add_argument("--again", action="store_true", help="import the file twice into the same home")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sample", nargs=3, metavar=("IMPORTER", "POSTMASTER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sample:
        sample(int(args.sample[0]), int(args.sample[1]), Path(args.sample[2]))
        return
    from personalization.threads import configure_threads

    configure_threads()  # as the cinesync command does (one BLAS thread, two malloc arenas)
    path = write_data(args.data, args.preset)
    home = Path(tempfile.mkdtemp(prefix="home-", dir=args.data))
    try:
        reports = measure(path, args.data / f"films-{args.preset}.json", home, args.again)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    for r in reports:
        if args.json:
            print(json.dumps(r))
            continue
        print(
            f"{r['ratings']:,} ratings ({r['applied']:,} applied, {r['unchanged']:,} unchanged) in "
            f"{r['wall_s']:.1f} s = {r['per_s']:,.0f}/s wall; CPU {r['importer_cpu_s']:.1f} s importer + "
            f"{r['server_cpu_s']:.1f} s PostgreSQL = {r['per_cpu_s']:,.0f} ratings per CPU-second\n"
            f"  read:  {r['read_wall_s']:.1f} s wall, "
            f"{r['read_importer_cpu_s']:.1f} + {r['read_server_cpu_s']:.1f} CPU-s\n"
            f"  learn: {r['learn_wall_s']:.1f} s wall, "
            f"{r['learn_importer_cpu_s']:.1f} + {r['learn_server_cpu_s']:.1f} CPU-s\n"
            f"  overlap {r['overlap']:.2f} (learn {r['learn_overlap']:.2f}), "
            f"RSS growth {r['rss_growth_mb']:.0f} MB, load average {r['load_average']:.1f}"
        )


if __name__ == "__main__":
    main()
