"""How long the graph editor takes to redraw at each mouse move while a node is dragged.

The editor (``nasbench_ui/ui/graph_editor.js``) redraws on every pointermove of a drag.
This script mounts a :class:`~nasbench_ui.ui.graph_editor.GraphEditor` on a preset
(darts by default: 15 nodes, 40 edges) in Debian's Chromium, through the fake anywidget
model of ``tests/ui/test_graph_editor_js.py``, once with the ``graph_editor.js`` of a git
revision (``--before``, HEAD by default) and once with the working tree's, in the same
browser, alternating (before, after, after, before, ...) ``--repeats`` times. Each run
drags a node (``--node``) ``--drags`` times, out and back, each drag ``--moves`` real
mouse moves (Playwright) between a press and a release.

The page times each move: a listener on ``window`` in the capture phase reads
``performance.now()`` before the editor's handler on the canvas, one in the bubbling
phase after it (``handler_ms``: the redraw's JavaScript, from the routing to the new
SVG), then forces style and layout (``layout_ms``: the handler and the layout the next
frame would do). The release (pointerup: the editor's placement at rest) is timed the
same way (up to 347f2f7 it held two full drawings, the positions' change event drawing
again; now one). Nothing in the editor is instrumented, so any revision can be timed.

Prints a JSON summary (medians per version and ``ratio`` = before / after, > 1 is
faster) and writes it to ``benchmarks/results/editor_drag.json``. The figures are this
machine's and this run's: only the ratio between the two versions compares.

Run (about a minute with three repeats; needs ``/usr/bin/chromium`` and the ``[ui,test]``
extras; ``results/editor_drag.json`` is this run, 347f2f7 the last commit before partial
routing)::

    .venv/bin/python benchmarks/editor_drag.py --before 347f2f7 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nasbench_ui import spaces  # noqa: E402 - after the path fix
from nasbench_ui.ui.graph_editor import HERE, GraphEditor  # noqa: E402

OUT = REPO / "benchmarks" / "results" / "editor_drag.json"

# timings of every pointermove / pointerup that reaches the canvas during a drag
TIMER_JS = """() => {
  window.nbuiTimes = { move: [], up: [] };
  let t0 = 0;
  const start = () => { t0 = performance.now(); };
  const stop = (kind) => (ev) => {
    if (kind === "move" && !(ev.buttons & 1)) return;
    const t1 = performance.now();
    document.body.getBoundingClientRect();  // style and layout, as the next frame
    const t2 = performance.now();
    window.nbuiTimes[kind].push([t1 - t0, t2 - t0]);
  };
  for (const kind of ["move", "up"]) {
    const name = kind === "move" ? "pointermove" : "pointerup";
    window.addEventListener(name, start, true);
    window.addEventListener(name, stop(kind), false);
  }
}"""


def harness() -> Any:
    """The editor tests' module: its Chromium (``CHROMIUM``, ``ARGS``) and page (``_mount``)."""
    for path in (REPO / "tests", REPO / "tests" / "ui"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import test_graph_editor_js

    return test_graph_editor_js


def drag_once(browser: Any, js: str, preset: str, node: str, moves: int,
              drags: int) -> dict[str, Any]:
    """``drags`` drags of ``node`` (``moves`` mouse moves each, out and back) on one page
    with ``js`` as the editor: the per-move and release times."""
    page = harness()._mount(browser, GraphEditor(spaces.get(preset)), js=js)
    try:
        page.evaluate(TIMER_JS)
        loc = page.locator(f'g.nbui-node[data-node="{node}"] rect.nbui-box')
        for i in range(drags):  # out, back, out, ...
            box = loc.bounding_box()
            if box is None:
                raise SystemExit(f"no node {node!r} on {preset}")
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            sign = 1 if i % 2 == 0 else -1
            for k in range(1, moves + 1):
                page.mouse.move(x + sign * 6 * k, y + sign * 2 * k)
            page.mouse.up()
            page.wait_for_timeout(200)
        times = page.evaluate("() => window.nbuiTimes")
        if page._nbui_errors:  # type: ignore[attr-defined]
            raise SystemExit(f"page errors: {page._nbui_errors}")  # type: ignore[attr-defined]
    finally:
        page.close()
    return {
        "handler_ms": [round(t[0], 2) for t in times["move"]],
        "layout_ms": [round(t[1], 2) for t in times["move"]],
        "release_ms": [round(t[1], 2) for t in times["up"]],
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, 90th percentile (nearest rank) and maximum over every move of every run
    (and over the releases).

    Example:
        >>> summary([{"handler_ms": [1.0, 3.0], "layout_ms": [], "release_ms": [5.0]}])
        {'handler_ms': {'median': 2.0, 'p90': 3.0, 'max': 3.0, 'count': 2}, 'layout_ms': None, 'release_ms': {'median': 5.0, 'p90': 5.0, 'max': 5.0, 'count': 1}}
    """
    out: dict[str, Any] = {}
    for key in ("handler_ms", "layout_ms", "release_ms"):
        values = [v for r in runs for v in r[key]]
        if not values:
            out[key] = None
            continue
        ranked = sorted(values)
        out[key] = {"median": round(statistics.median(values), 2),
                    "p90": round(ranked[math.ceil(0.9 * len(ranked)) - 1], 2),
                    "max": round(ranked[-1], 2), "count": len(values)}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="HEAD", help="git revision of the 'before' editor")
    ap.add_argument("--preset", default="darts")
    ap.add_argument("--node", default="normal.n1", help="the node to drag (6 of darts' 40 edges)")
    ap.add_argument("--moves", type=int, default=15, help="mouse moves per drag")
    ap.add_argument("--drags", type=int, default=4, help="drags per page (out and back)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rel = (HERE / "graph_editor.js").relative_to(REPO).as_posix()
    before_js = subprocess.run(["git", "show", f"{args.before}:{rel}"], cwd=REPO, check=True,
                               capture_output=True, text=True).stdout
    after_js = (HERE / "graph_editor.js").read_text()
    before_rev = subprocess.run(["git", "rev-parse", "--short", args.before], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout.strip()
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    with sync_playwright() as pw:
        h = harness()
        browser = pw.chromium.launch(executable_path=str(h.CHROMIUM), args=h.ARGS)
        try:
            drag_once(browser, after_js, args.preset, args.node, 6, 1)  # warm the browser up
            for i in range(args.repeats):
                order = ["before", "after"] if i % 2 == 0 else ["after", "before"]
                for side in order:
                    js = before_js if side == "before" else after_js
                    runs[side].append(drag_once(browser, js, args.preset, args.node, args.moves,
                                                args.drags))
        finally:
            browser.close()
    result: dict[str, Any] = {
        "preset": args.preset, "node": args.node, "moves": args.moves, "drags": args.drags,
        "repeats": args.repeats, "before": before_rev, "after": "working tree",
        "before_ms": summary(runs["before"]), "after_ms": summary(runs["after"]),
    }
    result["ratio"] = {
        key: round(result["before_ms"][key]["median"] / max(result["after_ms"][key]["median"], 1e-6), 2)
        for key in ("handler_ms", "layout_ms", "release_ms")
        if result["before_ms"][key] and result["after_ms"][key]
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
