"""Event store speed on a simulated district (140 units, the exact engine's log, ≈ 43,000
events), on SQLite and PostgreSQL, each beside the floor it is compared with:

- import: ``sfd-workflow store import`` of the log vs ``sfd-workflow replay`` of the same log
  (whole commands, side by side in one run), and the floor: a plain SQLAlchemy insert of the
  rows the import stored (one executemany, one commit). Target: import ≤ 2× replay.
- profile: where one single-event ``submit`` spends its time (statements sent, time in the
  driver's execute, in COMMIT, judging, the rest), one writer.
- writers: single-event ``EventStore.submit`` from 1 and from 4 processes, each process on
  its own root units (distinct subtrees), in log order; submits per second. Target on
  PostgreSQL: 4 writers ≥ 1.6× one.
- open: a new ``EventStore`` opens the imported store and rebuilds every unit, with persisted
  snapshots and without (``snapshot_every=0``).
- export: peak memory (max RSS) and time of ``sfd-workflow store export`` in each format
  (``--export-formats``, default all three) of a store holding ``--export-events`` events
  (the district's rows repeated; the export reads rows, it does not check them).

    python bench/bench_store.py [--units 140] [--seed 2009] [--pg URL] [--repeat 3]
                                [--only import|profile|writers|open|export]
                                [--writer-events N]
                                [--export-events N] [--export-formats jsonl,csv,xes]

PostgreSQL is measured when --pg or $SFD_TEST_PG_URL names a server (scratch databases are
created and dropped; commits are durable: ``synchronous_commit=on``). Wall-clock seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src")]

import sqlalchemy as sa  # noqa: E402

import sfd_workflow as sfd  # noqa: E402
from sfd_workflow.store import EventStore  # noqa: E402
from sfd_workflow.store import _schema as schema  # noqa: E402

SPEC = "builtin:xuhui-edu-2009"


def district(units: int, seed: int, out: Path) -> tuple[Path, Path]:
    """Write a district roster and its exact engine log to `out`; return both paths."""
    import yaml

    from sfd_workflow import sim

    spec = sfd.load_spec(SPEC)
    roster = sim.district(units, seed=seed, spec=spec)
    sim.run(spec, roster, engine="exact", seed=seed).write_events(out / "events.jsonl")
    (out / "roster.yaml").write_text(yaml.safe_dump(roster.to_document(), allow_unicode=True),
                                     encoding="utf-8")
    return out / "roster.yaml", out / "events.jsonl"


def _cli(*args: str) -> float:
    """Seconds the whole `sfd-workflow ARGS` command takes (output to /dev/null)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sfd_workflow", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def floor(url: str) -> float:
    """Seconds a plain SQLAlchemy insert of the store's event rows takes (a copy of
    sfd_events, one executemany, one commit)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(sa.select(schema.events))]
    copy = sa.Table("bench_floor", sa.MetaData(),
                    *(sa.Column(c.name, c.type) for c in schema.events.columns))
    copy.create(engine)
    try:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(copy.insert(), rows)
        return time.perf_counter() - t0
    finally:
        copy.drop(engine)
        engine.dispose()


def bench_import(urls: list[str], roster: Path, log: Path) -> dict[str, float]:
    """Best times of replay, import (a new store at each of `urls`) and the floor, taken
    alternately so that a busy machine slows both alike."""
    replay: list[float] = []
    imported: list[float] = []
    for url in urls:
        replay.append(_cli("replay", SPEC, str(roster), str(log)))
        _cli("store", "init", "--url", url, SPEC, str(roster))
        imported.append(_cli("store", "import", "--url", url, "--batch", "1000", str(log)))
    with EventStore.open(urls[-1]) as store:
        events, audited = store.counts()
        if not store.verify().ok:
            raise SystemExit("the imported store does not verify")
    return {"replay": min(replay), "import": min(imported), "floor": floor(urls[-1]),
            "events": events, "audited": audited}


def _roots_events(roster: Any, log: Path) -> dict[str, list[str]]:
    """The log's lines by the root of their unit."""
    import json

    root_of: dict[str, str] = {}
    for u in roster.units:
        r = u
        while r.parent is not None:
            r = roster.by_id[r.parent]
        root_of[u.id] = r.id
    out: dict[str, list[str]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        out.setdefault(root_of[json.loads(line)["unit"]], []).append(line)
    return out


def _writer(url: str, lines: list[str], start: Any) -> None:
    with EventStore.open(url) as store:
        store.state(store.roster.units[0].id)  # warm the connection pool
        start.wait()
        for line in lines:
            store.submit(line)


def bench_writers(url: str, roster_path: Path, log: Path, writers: int, n: int) -> float:
    """Submits per second of `writers` processes × `n` events each, on distinct roots."""
    spec = sfd.load_spec(SPEC)
    roster = sfd.load_roster(roster_path, spec)
    EventStore.create(url, spec, roster).close()
    by_root = _roots_events(roster, log)
    shares: list[list[str]] = [[] for _ in range(writers)]
    for i, root in enumerate(sorted(by_root, key=lambda r: -len(by_root[r]))):
        shares[i % writers].extend(by_root[root])
    # Each writer's events in log order (the roots' lines interleave as in the log).
    order = {line: i for i, line in enumerate(log.read_text(encoding="utf-8").splitlines())}
    shares = [sorted(s, key=order.__getitem__)[:n] for s in shares]
    ctx = mp.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(url, share, start)) for share in shares]
    for p in procs:
        p.start()
    time.sleep(2.0)  # let every writer open its store
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    took = time.perf_counter() - t0
    if any(p.exitcode != 0 for p in procs):
        raise SystemExit("a writer failed")
    with EventStore.open(url) as store:
        if not store.verify().ok:
            raise SystemExit("the store does not verify after the writers")
    return sum(len(s) for s in shares) / took


def bench_open(url: str) -> tuple[float, float]:
    """Seconds to open the store and rebuild every unit, with snapshots and without."""
    def rebuild(every: int) -> float:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            with EventStore.open(url, snapshot_every=every) as s:
                for u in s.roster.units:
                    if u.parent is None:
                        s.state(u.id)
            best = min(best, time.perf_counter() - t)
        return best

    return rebuild(100), rebuild(0)


def fill_export_store(url: str, roster: Path, log: Path, events: int) -> None:
    """A store at `url` holding `events` rows: the district imported, then its rows copied
    with new commit numbers (and places in their units)."""
    _cli("store", "init", "--url", url, SPEC, str(roster))
    _cli("store", "import", "--url", url, "--batch", "1000", str(log))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        rows = [r._asdict() for r in conn.execute(sa.select(schema.events))]
        top = len(rows)
        k = 1
        while top < events:
            batch = [{**r, "gseq": r["gseq"] + k * len(rows), "seq": r["seq"] + k * 100_000}
                     for r in rows[: events - top]]
            conn.execute(schema.events.insert(), batch)
            top += len(batch)
            k += 1
    engine.dispose()


def bench_export(url: str, fmt: str, out: Path) -> tuple[int, float, float]:
    """(events exported, peak RSS MiB, seconds) of `store export --format fmt` of the store
    at `url`, the whole command."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    # The export runs in a child that reports its own peak RSS in KiB: VmHWM, the high-water
    # mark of its own memory (ru_maxrss would be wrong: Linux carries it over from the parent
    # across fork and exec, so a child of this process, which holds the store's rows, starts
    # at this process's size).
    code = ("import sys; from sfd_workflow.cli import main; "
            "code = main(sys.argv[1:]); "
            "print(next(line.split()[1] for line in open('/proc/self/status') "
            "if line.startswith('VmHWM:')), file=sys.stderr); "
            "sys.exit(code)")
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, "store", "export", "--url", url,
                           "--format", fmt, "-o", str(out)], check=True, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - t
    said, peak_kib = done.stderr.strip().splitlines()[-2:]
    out.unlink()
    return int(said.split(" exported ")[1].split()[0]), int(peak_kib) / 1024, took


def profile_submit(url: str, roster_path: Path, log: Path, n: int) -> dict[str, float]:
    """Where the time of one single-event `submit` goes (milliseconds per submit, averaged
    over `n` submits after 300 warm-up ones, one writer): statements sent, time inside the
    driver's execute (round trips and server work), inside COMMIT, judging, and the rest
    (replica bookkeeping, hashing, SQLAlchemy)."""
    import cProfile
    import pstats

    spec = sfd.load_spec(SPEC)
    roster = sfd.load_roster(roster_path, spec)
    lines = log.read_text(encoding="utf-8").splitlines()[: 300 + n]
    store = EventStore.create(url, spec, roster)
    for line in lines[:300]:
        store.submit(line)
    statements = [0]
    in_db = [0.0]

    @sa.event.listens_for(store._engine, "before_cursor_execute")
    def _before(conn: Any, *_: Any) -> None:
        conn.info["t0"] = time.perf_counter()
        statements[0] += 1

    @sa.event.listens_for(store._engine, "after_cursor_execute")
    def _after(conn: Any, *_: Any) -> None:
        in_db[0] += time.perf_counter() - conn.info["t0"]

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for line in lines[300:]:
        store.submit(line)
    prof.disable()
    wall = time.perf_counter() - t0
    store.close()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]

    def cum(name: str, where: str) -> float:
        return float(sum(v[3] for k, v in stats.items()
                         if k[2].startswith(name) and where in k[0]))

    # psycopg's Connection.commit, or sqlite3's (a built-in method: file "~")
    commit = cum("commit", "psycopg") + cum("<method 'commit' of 'sqlite3.", "~")
    judge = cum("judge", "_submit.py")
    return {"total": 1e3 * wall / n, "statements": statements[0] / n,
            "execute": 1e3 * in_db[0] / n, "commit": 1e3 * commit / n,
            "judge": 1e3 * judge / n,
            "rest": 1e3 * (wall - in_db[0] - commit - judge) / n}


@contextlib.contextmanager
def pg_database(base: str) -> Iterator[str]:
    """A scratch database on the server of `base` (durable commits), dropped afterwards."""
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"store_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.make_url(base).set(database=name)
        url = url.update_query_dict({"options": "-csynchronous_commit=on"})
        yield url.render_as_string(False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def places(tmp: Path, pg: str | None) -> Iterator[Iterator[tuple[str, str]]]:
    """A factory of fresh (back end, URL) pairs: SQLite files in `tmp`, PostgreSQL databases."""
    with contextlib.ExitStack() as stack:
        def make() -> Iterator[tuple[str, str]]:
            i = 0
            while True:
                i += 1
                yield "sqlite", f"sqlite:///{tmp}/store-{i}.db"
                if pg:
                    yield "postgresql", stack.enter_context(pg_database(pg))
        yield make()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--units", type=int, default=140)
    ap.add_argument("--seed", type=int, default=2009)
    ap.add_argument("--repeat", type=int, default=3, help="imports and replays (best of)")
    ap.add_argument("--only", choices=["import", "profile", "writers", "open", "export"])
    ap.add_argument("--writer-events", type=int, default=1500, help="events per writer")
    ap.add_argument("--export-events", type=int, default=1_000_000)
    ap.add_argument("--export-formats", default="jsonl,csv,xes",
                    help="comma-separated formats to export (default: all three)")
    ap.add_argument("--pg", default=os.environ.get("SFD_TEST_PG_URL"))
    args = ap.parse_args()
    backends = ["sqlite", *(["postgresql"] if args.pg else [])]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        roster, log = district(args.units, args.seed, tmp)
        with places(tmp, args.pg) as fresh:
            def url_for(backend: str) -> str:
                for b, u in fresh:
                    if b == backend:
                        return u
                raise AssertionError(backend)

            if args.only in (None, "import", "open"):
                print(f"import of a {args.units}-unit district's log (seconds, whole commands, "
                      f"best of {args.repeat})")
                print(f"{'back end':<11} {'events':>7} {'replay':>7} {'import':>7} "
                      f"{'floor':>6} {'import/replay':>14} {'import/floor':>13}")
                for b in backends:
                    urls = [url_for(b) for _ in range(args.repeat)]
                    url = urls[-1]
                    r = bench_import(urls, roster, log)
                    print(f"{b:<11} {r['events']:>7.0f} {r['replay']:>7.2f} {r['import']:>7.2f} "
                          f"{r['floor']:>6.2f} {r['import'] / r['replay']:>14.2f} "
                          f"{r['import'] / r['floor']:>13.1f}")
                    if args.only in (None, "open"):
                        with_snap, without = bench_open(url)
                        print(f"{'':<11} open + rebuild every unit: {with_snap:.2f} s with "
                              f"snapshots, {without:.2f} s without")
            if args.only in (None, "profile"):
                print("\none single-event submit, one writer (ms per submit, profiled: "
                      "absolute times inflated, shares hold)")
                print(f"{'back end':<11} {'total':>6} {'statements':>10} {'execute':>8} "
                      f"{'commit':>7} {'judge':>6} {'rest':>6}")
                for b in backends:
                    p = profile_submit(url_for(b), roster, log, 1000)
                    print(f"{b:<11} {p['total']:>6.2f} {p['statements']:>10.1f} "
                          f"{p['execute']:>8.2f} {p['commit']:>7.2f} {p['judge']:>6.2f} "
                          f"{p['rest']:>6.2f}")
            if args.only in (None, "writers"):
                print(f"\nsingle-event submits, {args.writer_events} events per writer, "
                      "writers on distinct root units")
                print(f"{'back end':<11} {'1 writer/s':>11} {'4 writers/s':>12} {'ratio':>6}")
                for b in backends:
                    one = bench_writers(url_for(b), roster, log, 1, args.writer_events)
                    four = bench_writers(url_for(b), roster, log, 4, args.writer_events)
                    print(f"{b:<11} {one:>11.0f} {four:>12.0f} {four / one:>6.2f}")
            if args.only in (None, "export"):
                formats = args.export_formats.split(",")
                print(f"\nexport of {args.export_events} stored events "
                      "(peak RSS of the whole command)")
                for b in backends:
                    url = url_for(b)
                    fill_export_store(url, roster, log, args.export_events)
                    for fmt in formats:
                        n, mib, took = bench_export(url, fmt, tmp / f"export.{fmt}")
                        print(f"{b:<11} {fmt:<5} {n:>9} events, peak RSS {mib:.0f} MiB, "
                              f"{took:.0f} s")

if __name__ == "__main__":
    main()
