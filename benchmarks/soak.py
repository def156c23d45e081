"""The soak benchmark of issue 16: a long CLI search that is read live and killed.

One experiment of ``--trials`` instant trials (default 10,000) runs through the real
command line (``nasbench-ui run``, here ``nasbench_ui.cli.main`` in a fresh Python
process) into a SQLite store in a temporary folder, while

* a second process opens the store read-only every ``--reader-interval`` seconds
  (``nb.Experiment.load(db).results()``) for the whole run and counts its reads and
  errors, and
* this script SIGKILLs the CLI ``--kills`` times at random moments (seeded by
  ``--seed``), reaps the killed process, and starts ``nasbench-ui run --resume`` at
  once: the store's lease must let it take over through its dead-pid check.

The trials are instant: the ``tabular`` estimator on the NAS-Bench-201 CIFAR-10 table
(``../shared/benchmarks/nb201/nb201_cifar10.csv``, read in place) with the ``nb201``
space and the ``grid`` strategy, so every architecture is asked once and any
architecture COMPLETE twice is a duplicated evaluation. Without the table, a
deterministic instant estimator defined here (``soak_instant``) stands in, and the
output says so.

Reported (JSON in ``--out``, a markdown table on stdout): wall time per block of
``--block`` (1,000) trials and the ratio of the last full block to the first (flat is
about 1), the peak RSS of the CLI processes (``ru_maxrss`` of each, from ``wait4``),
trials lost, duplicated evaluations, the reader's reads and errors, the kills, and how
long each resume took from its start to its first trial. The exit status is 1 when a
trial was lost or duplicated, the reader failed, or a CLI process ended badly.

    python benchmarks/soak.py --trials 10000 --kills 10 --seed 0

Example:
    >>> plan = kill_plan(trials=100, kills=3, seed=0)
    >>> [k.after for k in plan]
    [50, 54, 98]
    >>> all(0 <= k.delay_s < 0.05 for k in plan)
    True
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: `python benchmarks/soak.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.soak_report import Kill, audit, block_times, kill_plan, markdown  # noqa: E402

DEFAULT_TABLE = ROOT.parent / "shared" / "benchmarks" / "nb201" / "nb201_cifar10.csv"
NAME = "soak"
FALLBACK = "soak_instant"
METRIC = "valid_acc_12ep"
NB201_SIZE = 5**6  # the grid covers 15,625 architectures, each once
POLL_S = 0.02  # how often this script counts the finished trials
STALL_S = 180.0  # a CLI process that finishes no trial for this long is a failure
_TICKS = os.sysconf("SC_CLK_TCK")
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")

# the body of every child process: argv[1] is the table path ("" for the fallback)
_CHILD = (
    "import sys\n"
    f"sys.path.insert(0, {str(ROOT)!r})\n"
    "from benchmarks.soak import prepare_child\n"
    "prepare_child(sys.argv[1])\n"
)
_CLI = _CHILD + "from nasbench_ui.cli import main\nsys.exit(main(sys.argv[2:]))\n"
_READER = _CHILD + "from benchmarks.soak import reader_main\nreader_main(sys.argv[2:])\n"


# ------------------------------------------------------------------ child processes


def fallback_value(arch: dict[str, Any]) -> float:
    """The fallback objective: the mean op index of the edges, scaled to 0..1.

    Example:
        >>> fallback_value({"1<-0": "none", "2<-0": "avg_pool_3x3"})
        0.5
    """
    return sum(OPS.index(v) for v in arch.values()) / (4 * len(arch))


class SoakInstant:
    """An instant, deterministic estimator for when the NAS-Bench-201 table is missing."""

    NAME = FALLBACK
    OPTIONS: dict[str, Any] = {}

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Any:
        from nasbench_ui.estimators import Estimate

        v = fallback_value(arch)
        return Estimate(v, {"valid_acc": v, "cost_s": 0.0})


def prepare_child(table: str) -> None:
    """Set up a CLI or reader process: trust ``table`` (a stored experiment names it, and
    ``--resume`` reads it from there), or register ``soak_instant`` when it is ``""``."""
    if table:
        from nasbench_ui.trust import trust

        trust(Path(table))
    else:
        from nasbench_ui import estimators

        estimators.register(FALLBACK, SoakInstant, replace=True)


def reader_main(argv: list[str]) -> None:
    """The reader process: ``DB INTERVAL STOP_FILE OUT_JSON``.

    Every ``INTERVAL`` seconds until ``STOP_FILE`` exists (then once more), it opens
    the store read-only with ``nb.Experiment.load(DB, name="soak").results()`` and
    closes it; it writes its counts to ``OUT_JSON``.
    """
    import nasbench_ui as nb

    db, interval, stop, out = argv[0], float(argv[1]), Path(argv[2]), Path(argv[3])
    reads, errors, rows_seen, went_back = 0, [], 0, 0
    durations: list[float] = []
    next_at = time.monotonic()
    while True:
        last = stop.exists()
        t0 = time.perf_counter()
        try:
            exp = nb.Experiment.load(db, name=NAME)
            try:
                rows = len(exp.results())
            finally:
                exp.store.close()
        except Exception as e:  # noqa: BLE001 - every failure of a read is counted
            errors.append(f"{type(e).__name__}: {e}")
        else:
            reads += 1
            went_back += rows < rows_seen
            rows_seen = max(rows_seen, rows)
        durations.append(time.perf_counter() - t0)
        if last:
            break
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    out.write_text(json.dumps({
        "reads": reads, "errors": len(errors), "error_messages": errors[:5],
        "rows_last": rows_seen, "rows_went_back": went_back,
        "read_s_median": round(statistics.median(durations), 4) if durations else None,
        "read_s_max": round(max(durations), 4) if durations else None,
    }))


class Child:
    """A child process reaped with ``wait4``, so its own peak RSS is known.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> c = Child([sys.executable, "-c", "print('hi')"], d / "out", d / "err")
        >>> c.wait(60), c.stdout().strip(), c.maxrss_mb > 0
        (0, 'hi', True)
    """

    def __init__(self, args: list[str], stdout: Path, stderr: Path) -> None:
        self.out_path, self.err_path = stdout, stderr
        self.spawned_at = time.time()
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=ROOT)
        self.pid = self.proc.pid
        self.maxrss_mb: float | None = None
        self.cpu_final: float | None = None  # user + system seconds, once reaped
        self.cpu_at_first: float | None = None  # CPU seconds when its first trial finished
        self.killed = False

    def poll(self) -> int | None:
        """The exit status once it ended (reaping it), else None."""
        if self.proc.returncode is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid == 0:
                return None
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            self.maxrss_mb = usage.ru_maxrss / 1024  # kB on Linux
            self.cpu_final = usage.ru_utime + usage.ru_stime
        return self.proc.returncode

    def wait(self, timeout: float) -> int:
        end = time.monotonic() + timeout
        while (code := self.poll()) is None:
            if time.monotonic() > end:
                raise subprocess.TimeoutExpired(self.proc.args, timeout)
            time.sleep(0.01)
        return code

    def kill(self) -> None:
        """SIGKILL it and reap it (no zombie is left)."""
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True
        self.wait(60)

    def cpu_s(self) -> float:
        """User + system CPU seconds so far (``/proc``), or in all once reaped."""
        if self.cpu_final is not None:
            return self.cpu_final
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                fields = f.read().decode("ascii", "replace").rsplit(")", 1)[-1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")


def load_table(table: Path) -> dict[str, float]:
    """``{arch_str: valid_acc_12ep}`` from the NAS-Bench-201 CSV."""
    with open(table, newline="") as f:
        return {row["arch_str"]: float(row[METRIC]) for row in csv.DictReader(f)}


# ------------------------------------------------------------------ the run


@dataclass
class Run:
    """What happened while the search ran."""

    children: list[Child] = field(default_factory=list)
    kill_times: list[float] = field(default_factory=list)
    cpu_marks: list[tuple[int, float]] = field(default_factory=list)  # (COMPLETE, search CPU s)
    refused: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _complete(db: Path) -> int | None:
    """COMPLETE trials of the soak experiment, read with plain SQLite (None: not yet)."""
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT COUNT(*) FROM trials t JOIN experiments e ON "
                              "e.id = t.experiment_id WHERE e.name = ? AND t.state = 'COMPLETE'",
                              (NAME,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None  # not created yet, or busy: ask again
    return int(row[0])


def _cli_args(table: str, db: Path, trials: int, seed: int, resume: bool) -> list[str]:
    args = [sys.executable, "-c", _CLI, table, "run", "--storage", str(db), "--name", NAME,
            "--no-progress", "--json"]
    if resume:
        return [*args, "--resume"]
    est = {"table": table, "key": "arch_str", "metric": METRIC} if table else {}
    return [*args, "--space", "nb201", "--strategy", "grid",
            "--estimator", "tabular" if table else FALLBACK,
            "--estimator-options", json.dumps(est), "--trials", str(trials),
            "--seed", str(seed)]


def search_cpu(children: list[Child]) -> float:
    """CPU seconds the CLI processes spent after each one's first finished trial (their
    start, imports and takeover left out): unlike wall time, other load barely moves it."""
    return sum(c.cpu_s() - c.cpu_at_first for c in children if c.cpu_at_first is not None)


def drive(run: Run, table: str, db: Path, tmp: Path, trials: int, plan: list[Kill],
          seed: int, block: int, reader_start: Any) -> None:
    """Run the CLI to its end, killing and resuming it as ``plan`` says; record in ``run``."""
    pending = list(plan)
    next_mark = block

    def spawn(resume: bool) -> Child:
        i = len(run.children)
        child = Child(_cli_args(table, db, trials, seed, resume), tmp / f"cli{i}.out",
                      tmp / f"cli{i}.err")
        run.children.append(child)
        return child

    child = spawn(resume=False)
    count, base, kill_at = 0, 0, None  # base: the COMPLETE count when this process started
    last_progress = time.monotonic()
    while True:
        seen = _complete(db)
        now = time.monotonic()
        if seen is not None and seen != count:
            count, last_progress = seen, now
            reader_start()  # the experiment is in the store: start reading it
            if child.cpu_at_first is None and count > base:
                child.cpu_at_first = child.cpu_s()
            if count >= next_mark:
                run.cpu_marks.append((count, search_cpu(run.children)))
                next_mark = (count // block + 1) * block
        code = child.poll()
        if code is not None:
            if code == 2 and "is being run by" in child.stderr():
                run.refused.append(child.stderr().strip())
                if len(run.refused) > 20:
                    run.failures.append("resume refused 20 times in a row")
                    return
                time.sleep(1.0)
                child, base, kill_at = spawn(resume=True), count, None
                continue
            if code != 0:
                run.failures.append(f"CLI pid {child.pid} exited {code}: "
                                    f"{child.stderr().strip()[-500:]}")
            return
        if now - last_progress > STALL_S:
            child.kill()
            run.failures.append(f"no trial finished for {STALL_S:.0f} s (pid {child.pid})")
            return
        # kill once the target is reached and this process has finished a trial itself
        if pending and kill_at is None and count >= pending[0].after and count > base:
            kill_at = now + pending[0].delay_s
        if kill_at is not None and now >= kill_at:
            pending.pop(0)
            run.kill_times.append(time.time())
            child.kill()  # SIGKILL, then reaped
            child, base, kill_at = spawn(resume=True), count, None
            last_progress = time.monotonic()
            continue
        time.sleep(POLL_S)


def soak(trials: int, kills: int, seed: int, reader_interval: float, block: int,
         table: Path | None, keep: Path | None = None) -> dict[str, Any]:
    """Run the soak once; the result dict (see the module docstring).

    The store and the processes' output go to a temporary folder, or to ``keep`` (kept,
    to look into a failure)."""
    from nasbench_ui import spaces
    from nasbench_ui.storage import open_store

    plan = kill_plan(trials, kills, seed)
    table_arg = str(table) if table else ""
    values = load_table(table) if table else None
    space = spaces.nb201()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    folder = nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="soak-")
    with folder as tmp_name:
        tmp = Path(tmp_name)
        db, stop = tmp / "soak.db", tmp / "reader.stop"
        reader: list[Child] = []

        def reader_start() -> None:
            if not reader:  # once the experiment is in the store
                reader.append(Child([sys.executable, "-c", _READER, table_arg, str(db),
                                     str(reader_interval), str(stop), str(tmp / "reader.json")],
                                    tmp / "reader.out", tmp / "reader.err"))

        t0, run, load0 = time.time(), Run(), round(os.getloadavg()[0], 2)
        try:
            drive(run, table_arg, db, tmp, trials, plan, seed, block, reader_start)
        finally:
            stop.touch()
            for c in reader:
                try:
                    c.wait(120)
                except subprocess.TimeoutExpired:
                    c.kill()
            for c in run.children:
                c.kill()  # a no-op for those that ended
        total = time.time() - t0
        reader_stats: dict[str, Any] = {"reads": 0, "errors": 1, "read_s_max": None,
                                        "error_messages": ["the reader never started"]}
        if reader:
            rpath = tmp / "reader.json"
            if reader[0].proc.returncode == 0 and rpath.exists():
                reader_stats = json.loads(rpath.read_text())
            else:
                reader_stats["error_messages"] = [f"reader exited {reader[0].proc.returncode}: "
                                                  f"{reader[0].stderr()[-500:]}"]
            reader_stats["peak_rss_mb"] = round(reader[0].maxrss_mb or 0.0, 1)
        with open_store(db, readonly=True) as store:
            stored = store.trials(NAME)

    def expected(arch: dict[str, Any]) -> float:
        return values[space.key(arch)] if values is not None else fallback_value(arch)

    result = audit(stored, trials, space.key, expected)
    finishes = sorted(t.finished_at for t in stored if t.state.name == "COMPLETE")
    start = min((t.started_at for t in stored), default=0.0)
    blocks = block_times(finishes, start, run.kill_times, block)
    full = [b for b in blocks if b["trials"] == block]
    cpu = [round(b - a, 3) for (_, a), (_, b) in zip([(0, 0.0), *run.cpu_marks],
                                                      run.cpu_marks, strict=False)]
    firsts = []
    for c in run.children:
        after = [t.started_at for t in stored if t.started_at >= c.spawned_at]
        firsts.append(round(min(after) - c.spawned_at, 3) if after else None)
    final = run.children[-1]
    return {
        "trials": trials, "kills": len(run.kill_times), "kills_planned": kills, "seed": seed,
        "estimator": "tabular (NAS-Bench-201 table)" if table else f"{FALLBACK} (fallback: no "
                     "NAS-Bench-201 table)",
        "table": str(table) if table else None, "reader_interval_s": reader_interval,
        "total_wall_s": round(total, 2), "block": block, "blocks": blocks,
        "block_ratio_last_first": round(full[-1]["busy_s"] / full[0]["busy_s"], 3)
        if len(full) >= 2 and full[0]["busy_s"] > 0 else None,
        "cpu_blocks_s": cpu,
        "cpu_ratio_last_first": round(cpu[-1] / cpu[0], 3)
        if len(cpu) >= 2 and cpu[0] > 0 else None,
        "cli_processes": len(run.children),
        "cli_peak_rss_mb": round(max(c.maxrss_mb or 0.0 for c in run.children), 1),
        "cli_rss_mb_each": [round(c.maxrss_mb or 0.0, 1) for c in run.children],
        "killed_pids_reaped": all(c.proc.returncode is not None for c in run.children),
        "first_start_first_trial_s": firsts[0],
        "resume_first_trial_s": [f for f in firsts[1:] if f is not None],
        "resumes_without_a_trial": sum(f is None for f in firsts[1:]),
        "first_trial_cpu_s": [None if c.cpu_at_first is None else round(c.cpu_at_first, 2)
                              for c in run.children],
        "loadavg_1min": {"start": load0, "end": round(os.getloadavg()[0], 2)},
        "refused_resumes": len(run.refused), "refusals": run.refused[:3],
        "cli_failures": run.failures,
        "final_exit": final.proc.returncode,
        "reader": reader_stats,
        **result,
    }


def ok(r: dict[str, Any]) -> bool:
    """Whether the soak passed: nothing lost or duplicated, the reader never failed, no
    resume refused and no CLI failure.

    Example:
        >>> ok({"trials_lost": 0, "duplicated_evaluations": 0, "complete_over_budget": 0,
        ...     "reader": {"errors": 0,
        ...     "reads": 3}, "refused_resumes": 0, "cli_failures": [],
        ...     "lineage_mismatches": [], "wrong_values": [], "final_exit": 0})
        True
    """
    return (r["trials_lost"] == 0 and r["duplicated_evaluations"] == 0
            and r["complete_over_budget"] == 0
            and r["reader"]["errors"] == 0 and r["reader"]["reads"] > 0
            and r["refused_resumes"] == 0 and not r["cli_failures"]
            and not r["lineage_mismatches"] and not r["wrong_values"] and r["final_exit"] == 0)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=10_000)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reader-interval", type=float, default=1.0, metavar="S")
    p.add_argument("--block", type=int, default=1_000, help="trials per timed block")
    p.add_argument("--table", default=str(DEFAULT_TABLE),
                   help="the NAS-Bench-201 CSV; \"\" (or a missing file) uses the fallback")
    p.add_argument("--keep", default=None, metavar="DIR",
                   help="keep the store and the processes' output in this new folder")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "soak.json"),
                   help="the JSON result (\"\" writes none)")
    args = p.parse_args(argv)
    if not 1 <= args.trials <= NB201_SIZE:
        p.error(f"--trials must be 1..{NB201_SIZE} (the nb201 grid), got {args.trials}")
    if not 0 <= args.kills < args.trials:
        p.error(f"--kills must be 0..trials-1 ({args.trials - 1}), got {args.kills}")
    if not (math.isfinite(args.reader_interval) and args.reader_interval > 0):
        p.error(f"--reader-interval must be a positive number of seconds, "
                f"got {args.reader_interval}")
    if args.block < 1:
        p.error(f"--block must be >= 1, got {args.block}")
    keep = Path(args.keep).resolve() if args.keep else None
    if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        p.error(f"--keep must name a new or empty folder, got {str(keep)!r}")
    table = Path(args.table).resolve() if args.table else None
    if table is not None and not table.is_file():
        print(f"note: no NAS-Bench-201 table at {table}; using the fallback estimator "
              f"{FALLBACK}", file=sys.stderr)
        table = None
    elif table is None:
        print(f"note: using the fallback estimator {FALLBACK}", file=sys.stderr)
    result = soak(args.trials, args.kills, args.seed, args.reader_interval, args.block, table,
                  keep)
    result["ok"] = ok(result)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    if not result["ok"]:
        print("SOAK FAILED: " + json.dumps({k: result[k] for k in (
            "lost_parts", "duplicated_archs", "cli_failures", "refusals", "lineage_mismatches",
            "wrong_values")} | {"reader": result["reader"]}), file=sys.stderr)
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
