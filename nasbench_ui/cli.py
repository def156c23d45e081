"""The ``nasbench-ui`` command: run, list and show experiments headless.

Example (a shell):
    nasbench-ui run --space keras_cnn --strategy evolution --estimator early_stop \\
        --dataset digits --trials 10 --storage runs/demo.db --json
    nasbench-ui run --strategy random --trials 20 --workers 4 --retries 1 --trial-timeout 300
    nasbench-ui show runs/demo.db
    nasbench-ui list
    nasbench-ui run --resume --storage runs/mine.db --trust mypackage

A stored experiment or a ``--config`` file names custom parts (operations, data sets,
estimators, strategies) by import path (``mypackage.parts:MyEstimator``; a name such as
``--estimator mypackage.parts:MyEstimator`` works too); they are imported only from the
modules given to ``--trust``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def shown(text: object) -> str:
    r"""``text`` as a terminal shows it plainly: every character that is not printable
    (ESC, BEL, the other controls, a right-to-left override), newlines aside, is written
    as its escape (``\x1b``). A name or a metric from a store someone else wrote is
    printed through it, so it cannot retitle the terminal, write its clipboard (OSC 52)
    or clear the screen.

    Example:
        >>> shown("exp\x1b]0;owned\x07"), shown("two\nlines")
        ('exp\\x1b]0;owned\\x07', 'two\nlines')
    """
    text = str(text)
    if text.replace("\n", "").isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else ch.encode("unicode_escape").decode()
                   for ch in text)


def _json_arg(text: str | None, what: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} is not valid JSON ({e.msg}): {text!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object like '{{\"population\": 10}}', got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nasbench-ui", description="Neural Architecture Search, headless.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run (or continue) an experiment")
    r.add_argument("--config", help="an experiment-config JSON file (as the workbench exports)")
    r.add_argument("--space", default=None, help="a preset name or a space JSON file")
    r.add_argument("--strategy", default=None)
    r.add_argument("--estimator", default=None)
    r.add_argument("--dataset", default=None)
    r.add_argument("--trials", type=int, default=None)
    r.add_argument("--seconds", type=float, default=None)
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--device", default=None)
    r.add_argument("--storage", default="runs/nasbench.db")
    r.add_argument("--name", default=None, help="the experiment's name in the store")
    r.add_argument("--resume", action="store_true", help="continue the stored experiment --name (or the latest)")
    r.add_argument("--strategy-options", default=None, help="JSON object")
    r.add_argument("--estimator-options", default=None, help="JSON object")
    r.add_argument("--dataset-options", default=None, help="JSON object")
    r.add_argument("--workers", type=int, default=None,
                   help="run N trials at once on a local Dask cluster (needs the dask extra)")
    r.add_argument("--retries", type=int, default=None,
                   help="run a FAILED trial's architecture again up to N times")
    r.add_argument("--trial-timeout", type=float, default=None, metavar="S",
                   help="end a trial FAILED after S seconds")
    r.add_argument("--trust", action="append", default=[], metavar="MODULE_OR_PATH",
                   help="trust a module (mypackage: custom parts named by import path) or "
                        "a path (./tables, /data/t.csv) that "
                        "--config or a stored experiment names (repeatable)")
    r.add_argument("--report", default=None, help="write a standalone HTML report here")
    r.add_argument("--json", action="store_true", help="print a JSON summary")
    r.add_argument("--no-progress", action="store_true")
    sub.add_parser("list", help="list spaces, strategies, estimators and data sets")
    s = sub.add_parser("show", help="show the trials of a stored experiment")
    s.add_argument("db")
    s.add_argument("--name", default=None)
    s.add_argument("--json", action="store_true")
    e = sub.add_parser("export", help="export the best model of a stored experiment: model.py, "
                                      "weights.pt, arch.json, TorchScript and ONNX")
    e.add_argument("db")
    e.add_argument("--name", default=None)
    e.add_argument("--out", required=True, help="the folder to write (created)")
    e.add_argument("--no-onnx", action="store_true", help="skip ONNX even if onnx is installed")
    e.add_argument("--trust", action="append", default=[], metavar="MODULE_OR_PATH",
                   help="trust a module or path the stored experiment names (repeatable)")
    return p


def _space_arg(value: str) -> Any:
    from .space import SearchSpace

    path = Path(value)
    if value.endswith(".json") or path.is_file():
        if not path.is_file():
            raise ValueError(f"space file {value!r} does not exist")
        return SearchSpace.from_json(path.read_text())
    return value


def _config_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    from .config import loads
    from .engine.building import config_kwargs, stored_config

    kw: dict[str, Any] = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ValueError(f"config file {args.config!r} does not exist")
        # custom parts it names by import path come from --trust'ed modules only; a data
        # set file it names lies next to it
        kw = config_kwargs(stored_config(loads(path.read_text())), path.parent)
    flags = {
        "space": _space_arg(args.space) if args.space else None,
        "strategy": args.strategy, "estimator": args.estimator, "dataset": args.dataset,
        "trials": args.trials, "seconds": args.seconds, "seed": args.seed, "device": args.device,
        "strategy_options": _json_arg(args.strategy_options, "--strategy-options") or None,
        "estimator_options": _json_arg(args.estimator_options, "--estimator-options") or None,
        "dataset_options": _json_arg(args.dataset_options, "--dataset-options") or None,
    }
    kw.update({k: v for k, v in flags.items() if v is not None})
    kw.setdefault("space", "keras_cnn")
    return kw


def _progress(exp: Any, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    total = exp.config.trials
    bar = tqdm(total=total, initial=exp.n_done(), disable=not enabled, unit="trial",
               desc=f"{exp.config.strategy}/{exp.config.estimator}")
    # O(1) per trial: the best so far is folded in from each finish event; the history is
    # read once, here (reading it at every finish made a CLI search O(n^2))
    done = [t.value for t in exp.finished_trials() if t.state.name == "COMPLETE"
            and t.value is not None] if enabled else []
    best = [max(done)] if done else []

    def on_event(event: Any) -> None:
        if event.kind != "trial_finish" or not enabled:
            return
        bar.update(1)
        value = event.data.get("value")
        if event.data.get("state") == "COMPLETE" and value is not None and \
                (not best or value > best[0]):
            best[:] = [value]
        if best:
            bar.set_postfix(best=f"{best[0]:.4f}")

    exp.observe(on_event)
    return bar


def _summary(exp: Any) -> dict[str, Any]:
    trials = exp.trials
    states: dict[str, int] = {}
    for t in trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    out: dict[str, Any] = {"storage": str(exp.store.path), "name": exp.name, "trials": len(trials),
                           "states": states, "spent_s": exp.spent_s(), "error": exp.last_error}
    try:
        best = exp.best()
        out["best"] = {"number": best.number, "value": best.value, "arch": best.arch,
                       "key": exp.space.key(best.arch), "metrics": best.metrics}
    except ValueError:
        out["best"] = None
    return out


def _run_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The execution settings given as flags (not part of the stored config)."""
    given = {"workers": args.workers, "retries": args.retries, "trial_timeout": args.trial_timeout}
    return {k: v for k, v in given.items() if v is not None}


def cmd_run(args: argparse.Namespace) -> int:
    from .experiment import Experiment
    from .trust import trust, untrusted

    trust(*args.trust)
    run_kw = _run_kwargs(args)
    if args.resume:
        exp = Experiment.load(args.storage, name=args.name, **run_kw)
    else:
        # a --config file may be someone else's: the paths it names need --trust
        source = f"the config file {args.config}" if args.config else None
        with untrusted(source) if source else contextlib.nullcontext():
            exp = Experiment(storage=args.storage, name=args.name, **_config_kwargs(args),
                             **run_kw)
    try:
        return _run_and_report(exp, args)
    finally:
        exp.close()
        exp.store.close()  # now, not when collected: a later reader sees the file as it stays


def _run_and_report(exp: Any, args: argparse.Namespace) -> int:
    bar = _progress(exp, enabled=not args.no_progress and not args.json)
    try:
        exp.run()
    except KeyboardInterrupt:
        print("\ninterrupted: completed trials are stored; continue with --resume", file=sys.stderr)
        return 130
    finally:
        bar.close()
    if args.report:
        write_report(exp, args.report)
    summary = _summary(exp)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        best = summary["best"]
        print(shown(f"{summary['trials']} trials in {summary['storage']} ({summary['name']}): "
                    f"{summary['states']}"))
        if best:
            print(shown(f"best: trial {best['number']} value {best['value']:.4f} {best['key']}"))
    if exp.last_error:
        print(shown(f"note: {exp.last_error}"), file=sys.stderr)
    return 0


def write_report(exp: Any, path: str) -> None:
    try:
        from .viz.report import write_report as _write
    except ImportError as e:
        raise ValueError(f"--report needs the ui extra: pip install 'nasbench_ui[ui]' ({e})") from None
    _write(path, exp.trials, exp.space, title=f"nasbench_ui: {exp.name}")


def cmd_list(_: argparse.Namespace) -> int:
    from . import data, estimators, spaces, strategies

    print("spaces:     ", ", ".join(spaces.names()))
    print("strategies: ", ", ".join(strategies.names()))
    print("estimators: ", ", ".join(estimators.names()))
    print("datasets:   ", ", ".join(data.names()))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from .space import SearchSpace
    from .storage import open_store
    from .viz.tables import results_frame

    # read-only: never migrates, creates or writes; a search running elsewhere goes on
    store = open_store(args.db, readonly=True)
    names = store.experiment_names()
    if not names:
        raise ValueError(f"{args.db!r} holds no experiment")
    if not args.name and len(names) > 1:
        print(shown("experiments: " + ", ".join(names)))
    rec = store.load_experiment(args.name)
    space = SearchSpace.from_dict(rec["config"].get("space"))  # a ValueError names what is wrong
    df = results_frame(store.trials(rec["name"]), space)
    if args.json:
        print(df.to_json(orient="records", default_handler=str))
    else:
        print(shown(f"experiment {rec['name']!r}: {len(df)} trials"))
        cols = [c for c in ("number", "state", "value", "params", "duration_s") if c in df.columns]
        print(shown(df[cols].to_string(index=False)) if len(df) else "(no trials yet)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .experiment import Experiment
    from .trust import trust

    trust(*args.trust)
    exp = Experiment.load(args.db, name=args.name)  # read-only: a live search goes on
    paths = exp.export_best(args.out, onnx=False if args.no_onnx else None)
    best = exp.best()
    print(shown(f"exported trial {best.number} of {exp.name!r} (value {best.value:.4f}):"))
    for kind, path in paths.items():
        print(shown(f"  {kind:12s} {path}"))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from .storage import LeaseHeld

    args = _parser().parse_args(argv)
    try:
        commands = {"run": cmd_run, "list": cmd_list, "show": cmd_show, "export": cmd_export}
        return commands[args.command](args)
    except (ValueError, PermissionError, LeaseHeld) as e:  # user errors: one line, no traceback
        print(shown(f"nasbench-ui: error: {e}"), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
