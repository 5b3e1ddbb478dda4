"""The scale benchmark (issue 10): a MovieLens-shaped synthetic data set at a chosen size, imported,
trained and served, each step measured.

    .venv/bin/python benchmarks/scale.py [--preset tiny|1m|5m|25m] [--json] [--keep DIR]

For a preset it generates the data with the project's generator (``data.synthetic.generate``:
users with hidden tastes, films with genres, directors, casts, popularity and quality) at
MovieLens-25M's proportions (about 160,000 users, 60,000 films and 155 ratings per user at 25M),
writes ``ratings.csv``, then, against a fresh embedded PostgreSQL:

1. imports the films, then the file with ``Service.import_ratings`` (what `cinesync import ratings`
   runs): ratings per second, and the importing process's peak RSS;
2. runs `cinesync train` in its own process: seconds and that process's peak RSS (when the trainer
   is not available it says so, and the serving process's own fitting time is reported instead);
3. starts a serving process (``--serve``: opens the service and warms it up the way the bot and
   the dashboard do), and measures in it: RSS after warm-up, `recommend` p50/p99 for users not seen
   since start (cold) and for the same users again (warm), and `rate` p99.

Figures depend on the machine and on what else runs on it; quote the command with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRESETS = {  # users, films, mean ratings per user (the generator's lognormal mean; about 1.3x in effect)
    "tiny": (300, 400, 20),
    "1m": (6_500, 2_500, 120),
    "5m": (32_000, 12_000, 120),
    "25m": (160_000, 60_000, 120),
}


def _rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _pct(seconds: list[float]) -> tuple[float, float]:
    s = sorted(seconds)
    if not s:
        return float("nan"), float("nan")
    return 1000 * s[len(s) // 2], 1000 * s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))]


def _server_cpu_s(home: Path) -> float:
    """CPU seconds used so far by the embedded PostgreSQL under ``home`` (postmaster and its
    backends, from /proc): the server's share of an import, whatever else runs on the machine."""
    try:
        postmaster = int((home / "pgdata" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:  # fields[1]: the parent pid
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    return total


# -- the serving process ---------------------------------------------------------------------
def serve(n_users: int, requests: int) -> dict:
    """Run in a fresh process: open the service as a front-end does, warm it up, then time it."""
    from personalization.config import Settings
    from personalization.service import Service
    from personalization.threads import configure_threads

    configure_threads()
    out: dict = {"rss_start_mb": _rss_mb()}
    with Service.open(Settings.from_env()) as svc:
        t = time.perf_counter()
        svc.warm_up(background=False)
        out["warm_up_s"] = time.perf_counter() - t
        out["rss_after_warm_up_mb"] = _rss_mb()
        rng = random.Random(3)
        users = rng.sample(range(1, n_users + 1), min(requests, n_users))
        cold, warm = [], []
        for u in users:  # first request for each user since start
            t = time.perf_counter()
            svc.recommend(u)
            cold.append(time.perf_counter() - t)
        for u in users:  # the same users again
            t = time.perf_counter()
            svc.recommend(u)
            warm.append(time.perf_counter() - t)
        film_ids = svc.catalogue().ids.tolist()
        rates = []
        for u in users:
            t = time.perf_counter()
            svc.rate(u, rng.choice(film_ids), rng.choice([1.0, 2.5, 3.5, 4.0, 5.0]))
            rates.append(time.perf_counter() - t)
        out["recommend_cold_ms"] = _pct(cold)
        out["recommend_warm_ms"] = _pct(warm)
        out["rate_ms"] = _pct(rates)
        out["requests"] = len(users)
        out["rss_after_requests_mb"] = _rss_mb()
        out["peak_rss_mb"] = _rss_mb("VmHWM")
    return out


def _run_measured(args: list[str], env: dict) -> tuple[float, float, int, str, str]:
    """Wall seconds, peak RSS (MB) of exactly this child, return code, stdout, stderr.

    The peak is the child's own ``VmHWM``, read every 0.1 s while it runs (the last reading
    before it exits). Not ``wait4``'s ``ru_maxrss``: Linux counts in it the parent's resident
    size at the moment the child was started (the high-water mark survives fork and exec), so a
    child of this process, which holds the imported data set, would be reported at least as large
    as its parent (a 25M run reported the serving process at the importer's 2,704 MB)."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)
        status_file, peak = Path(f"/proc/{proc.pid}/status"), 0.0
        while proc.poll() is None:
            try:
                for line in status_file.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except (OSError, ValueError):
                pass  # it has just exited
            time.sleep(0.1)
        seconds = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        return seconds, peak, proc.returncode, out.read(), err.read()


# -- the whole run ---------------------------------------------------------------------------
def run(preset: str, home: Path, requests: int, say) -> dict:
    import numpy as np
    import polars as pl

    from personalization.config import Settings
    from personalization.core.catalogue import Film
    from personalization.data.synthetic import generate
    from personalization.service import Service

    n_users, n_films, mean = PRESETS[preset]
    report: dict = {"preset": preset}
    t = time.perf_counter()
    data = generate(n_users=n_users, n_films=n_films, mean_ratings=mean, seed=25)
    r = data.ratings
    report["generate_s"] = time.perf_counter() - t
    report["ratings"], report["users"], report["films"] = len(r.users), int(np.unique(r.users).size), n_films
    path = home / "ratings.csv"
    pl.DataFrame(
        {"userId": r.users, "movieId": r.films, "rating": r.stars.astype(np.float64), "timestamp": r.timestamps}
    ).with_columns(pl.col("timestamp").cast(pl.Int64)).write_csv(path)
    report["file_mb"] = path.stat().st_size / 2**20
    films = [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]
    del data, r
    say(f"{report['ratings']:,} ratings by {report['users']:,} users on {n_films:,} films generated")
    settings = Settings(home=home)
    with Service.open(settings, listen=False) as svc:
        svc.import_films(films)
        rss_before = _rss_mb("VmHWM")
        server_cpu, cpu, load = _server_cpu_s(home), time.process_time(), os.getloadavg()[0]
        t = time.perf_counter()
        read, result = svc.import_ratings(path)
        seconds = time.perf_counter() - t
        report["import_client_cpu_s"] = time.process_time() - cpu
        report["import_server_cpu_s"] = _server_cpu_s(home) - server_cpu
        report["import_cpu_bound_per_s"] = read / (report["import_client_cpu_s"] + report["import_server_cpu_s"])
        report["load_average"] = (load + os.getloadavg()[0]) / 2
        report["import_s"] = seconds
        report["import_per_s"] = read / seconds
        report["import_applied"] = result.applied
        report["import_peak_rss_mb"] = _rss_mb("VmHWM")
        report["import_rss_growth_mb"] = report["import_peak_rss_mb"] - rss_before
        say(f"import: {read:,} ratings in {seconds:.1f} s ({read / seconds:,.0f}/s)")
        env = {**os.environ, "CINESYNC_DATABASE_URL": svc.db.url, "CINESYNC_HOME": str(home)}
        cli = str(Path(sys.executable).with_name("cinesync"))
        secs, peak, code, out, err = _run_measured([cli, "train", "--json"], env)
        if code == 0:
            try:
                published = json.loads(out)
            except ValueError:
                published = out.strip()[-300:]
            report["train"] = {"seconds": secs, "peak_rss_mb": peak, "published": published}
            say(f"train: {secs:.1f} s, peak RSS {peak:,.0f} MB")
        else:
            last = (err.strip().splitlines() or ["?"])[-1]
            report["train"] = {"unavailable": last}
            say(f"train: not available ({last}); the serving process fits its models itself")
        secs, peak, code, out, err = _run_measured(
            [sys.executable, __file__, "--serve", "--users", str(n_users), "--requests", str(requests)], env
        )
        if code != 0:
            raise SystemExit(f"the serving process failed:\n{err}")
        report["serve"] = json.loads(out.strip().splitlines()[-1])
        report["serve"]["process_peak_rss_mb"] = peak
        say("serving process: done")
    return report


def format_report(rep: dict) -> str:
    s, tr = rep["serve"], rep["train"]
    train = (
        f"{tr['seconds']:.1f} s, peak RSS {tr['peak_rss_mb']:,.0f} MB"
        if "seconds" in tr
        else f"not available ({tr['unavailable']}); the serving process fitted in its warm-up"
    )
    rows = [
        (
            "data",
            f"{rep['ratings']:,} ratings, {rep['users']:,} users, {rep['films']:,} films ({rep['file_mb']:.0f} MB)",
        ),
        (
            "import",
            f"{rep['import_per_s']:,.0f} ratings/s ({rep['import_s']:.1f} s; "
            f"importing process peak RSS {rep['import_peak_rss_mb']:,.0f} MB, +{rep['import_rss_growth_mb']:,.0f} MB)",
        ),
        (
            "import CPU",
            f"{rep['import_client_cpu_s']:.1f} s importer + {rep['import_server_cpu_s']:.1f} s PostgreSQL = "
            f"{rep['import_cpu_bound_per_s']:,.0f} ratings per CPU-second (load average {rep['load_average']:.1f})",
        ),
        ("train", train),
        ("serving warm-up", f"{s['warm_up_s']:.2f} s"),
        (
            "serving RSS after warm-up",
            f"{s['rss_after_warm_up_mb']:,.0f} MB (after the requests "
            f"{s['rss_after_requests_mb']:,.0f} MB, peak {s['process_peak_rss_mb']:,.0f} MB)",
        ),
        ("recommend, cold user", "p50 {:.1f} ms, p99 {:.1f} ms".format(*s["recommend_cold_ms"])),
        ("recommend, warm user", "p50 {:.1f} ms, p99 {:.1f} ms".format(*s["recommend_warm_ms"])),
        ("rate", "p50 {:.1f} ms, p99 {:.1f} ms".format(*s["rate_ms"])),
    ]
    lines = [
        f"## scale: preset {rep['preset']} ({s['requests']} requests per case)",
        "",
        "| measure | result |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def plot(reports: list[dict], out: Path) -> None:
    """The growth figure of docs/scaling.md: each measure against the number of ratings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reports = sorted(reports, key=lambda r: r["ratings"])
    n = [r["ratings"] for r in reports]
    panels = [
        ("import, ratings/s", [r["import_per_s"] for r in reports], "wall clock (shared machine)"),
        ("import, ratings per CPU-second", [r["import_cpu_bound_per_s"] for r in reports], "importer + PostgreSQL"),
        ("train, s", [r["train"].get("seconds", float("nan")) for r in reports], "cinesync train"),
        ("serving RSS after warm-up, MB", [r["serve"]["rss_after_warm_up_mb"] for r in reports], ""),
        ("recommend p99, ms", [r["serve"]["recommend_cold_ms"][1] for r in reports], "cold user"),
        ("rate p99, ms", [r["serve"]["rate_ms"][1] for r in reports], ""),
    ]
    clocked = {"import, ratings/s", "recommend p99, ms", "rate p99, ms"}  # wall clock: depends on the load
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for ax, (title, values, note) in zip(axes.flat, panels):
        ax.plot(n, values, marker="o")
        if title in clocked:  # each point says how busy the machine was (load average while importing)
            for x, y, r in zip(n, values, reports):
                ax.annotate(
                    f"load {r['load_average']:.0f}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("ratings" + (f" ({note})" if note else ""), fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle("CineSync at growing data sizes (benchmarks/scale.py)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--requests", type=int, default=200, help="requests per latency case")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument(
        "--plot", nargs="+", type=Path, metavar="PNG REPORT.json", help="draw reports saved with --json"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plot:
        plot([json.loads(p.read_text()) for p in args.plot[1:]], args.plot[0])
        return
    if args.serve:
        print(json.dumps(serve(args.users, args.requests)))
        return
    from personalization.storage.db import stop_embedded

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="cinesync-scale-") as tmp:
        home = args.keep or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        try:
            report = run(args.preset, home, args.requests, say)
        finally:
            stop_embedded(home)
    print(json.dumps(report, indent=1) if args.json else format_report(report))


if __name__ == "__main__":
    main()
