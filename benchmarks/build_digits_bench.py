"""Build the digits tabular benchmark shipped as ``nb.benchmarks.digits()``.

A NAS-Bench-201-style table (Dong and Yang, ICLR 2020) at pocket size: every one of
the 1,296 cells of :func:`nasbench_ui.benchmarks.digits.digits_space`, each trained on scikit-learn digits once per seed in ``--seeds`` with the protocol of
:data:`nasbench_ui.benchmarks.digits.PROTOCOL` (one torch thread), through
:func:`nasbench_ui.benchmarks.digits.train_one`.

Resumable: every finished (architecture, seed) run is appended to ``--checkpoint``
(JSONL, first line the protocol) and skipped on restart. At the end (or with
``--package-only``) the runs whose architecture has every seed are aggregated into
``<out>/digits_cell.csv.gz`` (gzip with a zero timestamp), its protocol
``digits_cell.json`` and the checksums ``digits_cell.sha256``. Not run in CI:

    nohup nice -n 5 python benchmarks/build_digits_bench.py > /tmp/digits_bench.log 2>&1 &
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import io
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from nasbench_ui.spaces import nb201_str

# the module, not the function of the same name that the subpackage exports
bench = importlib.import_module("nasbench_ui.benchmarks.digits")
REPO = Path(__file__).resolve().parent.parent


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="training seeds")
    p.add_argument("--epochs", type=int, default=bench.PROTOCOL["epochs"])
    p.add_argument("--batch-size", type=int, default=bench.PROTOCOL["batch_size"])
    p.add_argument("--learning-rate", type=float, default=bench.PROTOCOL["learning_rate"])
    p.add_argument("--channels", type=int, default=bench.PROTOCOL["channels"])
    p.add_argument("--checkpoint", type=Path, default=REPO / "runs" / "digits_bench" / "digits_cell.jsonl")
    p.add_argument("--out", type=Path, default=bench.DATA_DIR, help="folder of the table")
    p.add_argument("--limit", type=int, default=None, help="stop after this many new runs")
    p.add_argument("--package-only", action="store_true", help="only write the table")
    args = p.parse_args(argv)
    if not 1 <= args.epochs <= 10:
        p.error("--epochs must be in [1, 10]")
    if len(set(args.seeds)) != len(args.seeds):
        p.error("--seeds repeats a seed")
    return args


def protocol_of(args: argparse.Namespace) -> dict[str, Any]:
    return {**bench.PROTOCOL, "epochs": args.epochs, "batch_size": args.batch_size,
            "learning_rate": args.learning_rate, "channels": args.channels}


def read_checkpoint(path: Path, proto: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """Finished runs by (arch_str, seed); ValueError if the file has another protocol."""
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if not path.is_file():
        return done
    lines = path.read_text().splitlines()
    if lines:
        head = json.loads(lines[0]).get("protocol")
        if head != proto:
            raise ValueError(f"{path} was built with protocol {head}, not {proto}; "
                             "give another --checkpoint")
    for line in lines[1:]:
        try:
            r = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by a kill: run it again
            continue
        done[(r["arch_str"], int(r["seed"]))] = r
    return done


def train(args: argparse.Namespace, archs: list[dict], proto: dict[str, Any]) -> None:
    done = read_checkpoint(args.checkpoint, proto)
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    if not args.checkpoint.is_file() or not args.checkpoint.read_text().strip():
        args.checkpoint.write_text(json.dumps({"protocol": proto}) + "\n")
    todo = [(a, s) for a in archs for s in args.seeds
            if (nb201_str(a), s) not in done]
    if args.limit is not None:
        todo = todo[:args.limit]
    print(f"{len(done)} runs done, {len(todo)} to run", flush=True)
    start = time.perf_counter()
    with args.checkpoint.open("a") as f:
        for i, (arch, seed) in enumerate(todo, 1):
            rec = bench.train_one(arch, seed, proto)
            f.write(json.dumps(rec) + "\n")
            f.flush()
            if i % 50 == 0 or i == len(todo):
                el = time.perf_counter() - start
                print(f"{i}/{len(todo)} runs, {el:.0f} s, {el / i:.2f} s/run, "
                      f"eta {el / i * (len(todo) - i):.0f} s", flush=True)


def package(args: argparse.Namespace, archs: list[dict], proto: dict[str, Any]) -> Path:
    import pandas as pd

    done = read_checkpoint(args.checkpoint, proto)
    rows = []
    for arch in archs:
        key = nb201_str(arch)
        runs = [done.get((key, s)) for s in args.seeds]
        if any(r is None for r in runs):
            continue
        row: dict[str, Any] = {"arch_str": key}
        for col in ("valid_acc", "test_acc", "train_loss", "cost_s"):
            row[col] = round(statistics.fmean(r[col] for r in runs), 6)
        row["params"], row["flops"] = runs[0]["params"], runs[0]["flops"]
        row["curve"] = json.dumps([round(statistics.fmean(c), 6)
                                   for c in zip(*(r["curve"] for r in runs), strict=True)])
        for s, r in zip(args.seeds, runs, strict=True):
            row[f"valid_acc_s{s}"], row[f"test_acc_s{s}"] = r["valid_acc"], r["test_acc"]
            row[f"cost_s_s{s}"], row[f"curve_s{s}"] = r["cost_s"], json.dumps(r["curve"])
        rows.append(row)
    if not rows:
        raise SystemExit("no architecture has all its seeds yet; nothing to package")
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / bench.TABLE_NAME
    text = pd.DataFrame(rows).to_csv(index=False, lineterminator="\n").encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as gz:
        gz.write(text)
    table.write_bytes(buf.getvalue())
    meta = {**proto, "archs": len(rows), "seeds": list(args.seeds),
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "total_train_s": round(sum(r["cost_s"] for r in done.values()), 1)}
    (args.out / bench.META_NAME).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    bench.write_checksums(table)
    print(f"wrote {table} ({table.stat().st_size} bytes, {len(rows)} architectures)", flush=True)
    return table


def main(argv: list[str] | None = None) -> Path:
    args = parse(argv)
    torch.set_num_threads(1)
    proto = protocol_of(args)
    archs = list(bench.digits_space(args.channels).enumerate())
    if not args.package_only:
        train(args, archs, proto)
    return package(args, archs, proto)


if __name__ == "__main__":
    main()
