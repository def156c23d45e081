"""The editor's JavaScript in real Chromium, without Jupyter.

A static page imports ``graph_editor.js`` and renders it with a small fake anywidget
model whose ``save_changes`` / ``send`` are bridged to a real Python ``GraphEditor``
(``page.expose_function``), the way the comm would: the JS edits, Python validates and
answers with its traits. Playwright drives it with real mouse events. Screenshots go to
``artifacts/graph_editor_*.png``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import artifact_path, in_ci

from nasbench_ui import spaces
from nasbench_ui.ui.arch_view import ArchView
from nasbench_ui.ui.graph_editor import HERE, GraphEditor

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
ORIGIN = "http://nbui.test"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>{css}</style>
<style>body {{ margin: 16px; background: #eef0f3; }} #host {{ width: 1000px; }}</style></head>
<body><div id="host"></div><script type="module">
import widget from "./graph_editor.js";
class FakeModel {{
  constructor(state) {{ this.state = state; this.handlers = {{}}; this.dirty = {{}}; this.errors = []; }}
  get(k) {{ return this.state[k]; }}
  set(k, v) {{ this.state[k] = v; this.dirty[k] = v; this.fire(k); }}
  fire(k) {{ for (const f of this.handlers["change:" + k] || []) f(); }}
  on(e, f) {{ (this.handlers[e] = this.handlers[e] || []).push(f); }}
  off(e, f) {{ this.handlers[e] = (this.handlers[e] || []).filter((g) => g !== f); }}
  apply(state) {{  // like Backbone: an event only for a value that changed
    for (const [k, v] of Object.entries(state)) {{
      if (JSON.stringify(this.state[k]) === JSON.stringify(v)) continue;
      this.state[k] = v; this.fire(k);
    }}
  }}
  save_changes() {{
    const changes = this.dirty; this.dirty = {{}};
    window.pySync(changes).then((s) => this.apply(s)).catch((e) => this.errors.push(String(e)));
  }}
  send(msg) {{ window.pyMsg(msg).then((s) => this.apply(s)).catch((e) => this.errors.push(String(e))); }}
}}
window.mount = (state) => {{
  window.model = new FakeModel(state);
  widget.render({{ model: window.model, el: document.getElementById("host") }});
}};
window.ready = true;
</script></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail(f"{CHROMIUM} is missing (CI=true: browser tests must run)")
        pytest.skip(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _mount(browser: Any, widget: Any, js: str | None = None) -> Any:
    """A page showing ``widget`` (a GraphEditor or ArchView) through the fake model;
    ``js``: another version of ``graph_editor.js`` (benchmarks/editor_drag.py)."""
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    page_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and page_errors.append(m.text))
    page._nbui_errors = page_errors  # type: ignore[attr-defined]
    names = [n for n in widget.trait_names(sync=True) if not n.startswith("_")
             and n not in {"layout", "comm", "keys", "log", "tabbable", "tooltip"}]

    def state() -> dict[str, Any]:
        return {n: getattr(widget, n) for n in names}

    def sync(changes: dict[str, Any]) -> dict[str, Any]:
        widget.set_state(changes)          # what the comm does with a front-end update
        return state()

    def msg(content: dict[str, Any]) -> dict[str, Any]:
        widget._handle_custom_msg(content, [])
        return state()

    page.expose_function("pySync", sync)
    page.expose_function("pyMsg", msg)
    body = PAGE.format(css=(HERE / "graph_editor.css").read_text())
    js = js if js is not None else (HERE / "graph_editor.js").read_text()

    def route(r: Any) -> None:
        if r.request.url.endswith("/graph_editor.js"):
            r.fulfill(body=js, content_type="text/javascript")
        else:
            r.fulfill(body=body, content_type="text/html")

    page.route(f"{ORIGIN}/**", route)
    page.goto(f"{ORIGIN}/index.html")
    page.wait_for_function("window.ready === true")
    page.evaluate("s => window.mount(s)", state())
    return page


def _wait(page: Any, cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        page.wait_for_timeout(50)           # lets Playwright run the exposed callbacks
    raise AssertionError(f"timed out waiting for {what}")


def _centre(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _drag(page: Any, start: str, end: str) -> None:
    x0, y0 = _centre(page, start)
    x1, y1 = _centre(page, end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()


def test_mouse_builds_a_valid_space(browser: Any) -> None:
    ed = GraphEditor(spaces.blank())
    page = _mount(browser, ed)
    try:
        assert page.locator(".nbui-size").inner_text() == "1 architecture"
        page.click("button.nbui-add-node")
        _wait(page, lambda: "n1" in [n["name"] for n in ed.space_json["nodes"]], "node n1 in Python")
        page.wait_for_selector('g.nbui-node.nbui-bad[data-node="n1"]')
        assert "How to fix: connect it to an earlier node or delete it." in \
            page.locator(".nbui-errors").inner_text()
        assert "(invalid space)" in page.locator(".nbui-size").inner_text()
        assert not ed.valid

        _drag(page, 'circle.nbui-handle[data-node="input"]', 'g.nbui-node[data-node="n1"] rect')
        _wait(page, lambda: any(e["label"] == "n1<-input" for e in ed.space_json["edges"]),
              "edge input -> n1")
        _drag(page, 'circle.nbui-handle[data-node="n1"]', 'g.nbui-node[data-node="output"] rect')
        _wait(page, lambda: ed.valid, "a valid space")
        assert [(e.src, e.dst, e.ops) for e in ed.space.edges] == [
            ("input", "output", ("skip",)), ("input", "n1", ("skip",)),
            ("n1", "output", ("skip",))]
        page.wait_for_selector(".nbui-errors:not(.nbui-has-errors)", state="attached")
        assert page.locator("g.nbui-node.nbui-bad").count() == 0

        # click the new edge, tick conv_3x3 in its form
        page.locator('g.nbui-edge[data-edge="n1<-input"] .nbui-edge-line').click(force=True)
        page.wait_for_selector('input.nbui-op[data-op="conv_3x3"]')
        page.check('input.nbui-op[data-op="conv_3x3"]')
        _wait(page, lambda: ed.valid and ed.size == 2, "two architectures")
        assert ed.space.edges[1].ops == ("skip", "conv_3x3")
        page.wait_for_function(
            "document.querySelector('.nbui-size').textContent === '2 architectures'")
        label = page.locator('text.nbui-edge-label[data-edge="n1<-input"]').text_content()
        assert label == "skip | conv_3x3"
        page.screenshot(path=str(artifact_path("graph_editor_built.png")))

        # move a node by dragging its body
        before = list(ed.positions["n1"])
        x, y = _centre(page, 'g.nbui-node[data-node="n1"] rect')
        page.mouse.move(x - 20, y)
        page.mouse.down()
        page.mouse.move(x + 40, y + 60, steps=6)
        page.mouse.up()
        _wait(page, lambda: ed.positions["n1"] != before, "n1 moved")
        assert ed.positions["n1"][0] == pytest.approx(before[0] + 60, abs=2)
        assert ed.positions["n1"][1] == pytest.approx(before[1] + 60, abs=2)

        # undo (a custom message) takes the conv_3x3 back; redo restores it
        page.click("button.nbui-undo")
        _wait(page, lambda: ed.valid and ed.size == 1, "undo")
        page.click("button.nbui-redo")
        _wait(page, lambda: ed.size == 2, "redo")

        # delete the node: its edges go too, the space stays valid
        page.locator('g.nbui-node[data-node="n1"] rect').click()
        page.wait_for_selector('g.nbui-node.nbui-selected[data-node="n1"]')
        page.click("button.nbui-delete")
        _wait(page, lambda: ed.valid and len(ed.space.nodes) == 2, "n1 deleted")
        assert ed.space == spaces.blank()
        assert page._nbui_errors == []
    finally:
        page.close()


def test_import_error_and_nb201_look(browser: Any) -> None:
    ed = GraphEditor(spaces.nb201())
    page = _mount(browser, ed)
    try:
        assert page.locator("g.nbui-node").count() == 4
        assert page.locator("g.nbui-edge").count() == 6
        assert page.locator(".nbui-size").inner_text() == "15,625 architectures"
        page.screenshot(path=str(artifact_path("graph_editor_nb201.png")))
        page.click("button.nbui-import")
        page.fill("textarea.nbui-io-text", "{oops")
        page.click("button.nbui-load")
        page.wait_for_selector(".nbui-errors.nbui-has-errors")
        assert "Import failed: malformed search space JSON" in page.locator(".nbui-errors").inner_text()
        assert ed.space == spaces.nb201()
        page.fill("textarea.nbui-io-text", spaces.darts_cell().to_json())
        page.click("button.nbui-load")
        _wait(page, lambda: ed.space == spaces.darts_cell(), "darts cell imported")
        page.wait_for_selector('g.nbui-node[data-node="n3"]')
        page.locator('g.nbui-node[data-node="n3"] rect').click()
        page.wait_for_selector("input.nbui-choose:checked")
        page.fill("input.nbui-k", "3")
        page.press("input.nbui-k", "Enter")
        _wait(page, lambda: ed.space.input_choices[0].k == 3, "k = 3")
        page.screenshot(path=str(artifact_path("graph_editor_darts.png")))
        assert page._nbui_errors == []
    finally:
        page.close()


def test_arch_view_draws_kept_edges(browser: Any) -> None:
    arch = spaces.nb201_arch(
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
    v = ArchView(spaces.nb201(), arch, title="trial 3 · COMPLETE")
    page = _mount(browser, v)
    try:
        assert page.locator("g.nbui-edge").count() == 6
        assert page.locator("g.nbui-edge.nbui-inactive").count() == 2
        assert page.locator(".nbui-handle").count() == 0
        labels = page.locator("text.nbui-edge-label").all_text_contents()
        assert sorted(labels) == ["avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "skip_connect"]
        assert page.locator(".nbui-title").inner_text() == "trial 3 · COMPLETE"
        page.screenshot(path=str(artifact_path("arch_view_nb201.png")))
        k = ArchView(spaces.keras_cnn(), spaces.keras_cnn().sample(__import__("random").Random(0)))
        page2 = _mount(browser, k)
        try:
            assert page2.locator("li.nbui-note").count() == 5
            page2.screenshot(path=str(artifact_path("arch_view_keras.png")))
        finally:
            page2.close()
    finally:
        page.close()


_BOXES_JS = """() => {
  const box = (e) => { const b = e.getBoundingClientRect();
    return [b.left, b.top, b.right, b.bottom]; };
  return {
    labels: [...document.querySelectorAll("text.nbui-edge-label")].map((t) => [t.textContent, box(t)]),
    nodes: [...document.querySelectorAll("g.nbui-node")].map((g) => [g.dataset.node,
      box(g.querySelector("rect.nbui-box"))]),
    title: box(document.querySelector(".nbui-title")),
    canvas: box(document.querySelector(".nbui-canvas")),
    notes: box(document.querySelector(".nbui-notes")),
  };
}"""


def _meets(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("preset", ["nb201", "darts_cell"])
def test_arch_view_text_covers_no_node(browser: Any, preset: str) -> None:
    """No edge's text overlaps a node's box, with or without an architecture (the
    workbench showed ``nor_conv_3x3`` over node 1, and before a run every edge's whole
    candidate list); the title sits above the drawing and the notes under it."""
    space = spaces.get(preset)
    rng = __import__("random").Random(5)
    for arch in [*(space.sample(rng) for _ in range(3)), None]:
        page = _mount(browser, ArchView(space, arch))
        try:
            g = page.evaluate(_BOXES_JS)
            assert g["labels"] and len(g["nodes"]) == len(space.nodes)
            covered = [(text, node) for text, t in g["labels"] for node, n in g["nodes"]
                       if _meets(t, n)]
            assert covered == [], (arch, covered)
            assert g["title"][3] <= g["canvas"][1] and g["notes"][1] >= g["canvas"][3]
            if arch is None:
                assert page.locator(".nbui-title").inner_text().startswith("the search space")
                assert page.locator("li.nbui-note").count() == 1
                page.screenshot(path=str(artifact_path(f"arch_view_{preset}_space.png")))
            assert page._nbui_errors == []
        finally:
            page.close()


def test_arch_view_of_a_darts_cell_fits_the_workbench_view_panel(browser: Any) -> None:
    """At 1280x800 the workbench's view panel is about 830 px wide, and a darts_cell
    drawing (1,100 px at full size) kept the editor's floor for readable names: 940 px,
    scrolled sideways with the output node out of sight. The read-only view shrinks to
    the panel, as the Compare tab's drawings do; its texts stay about 9 px or more."""
    space = spaces.darts_cell()
    page = _mount(browser, ArchView(space, space.sample(__import__("random").Random(1))))
    try:
        page.evaluate("() => { document.getElementById('host').style.width = '830px'; }")
        fits = ("() => { const c = document.querySelector('.nbui-canvas'); "
                "return c.scrollWidth <= c.clientWidth + 1; }")
        _wait(page, lambda: page.evaluate(fits), "the drawing to fit the 830 px panel")
        g = page.evaluate(_BOXES_JS)
        canvas = g["canvas"]
        assert all(canvas[0] <= n[0] and n[2] <= canvas[2] for _, n in g["nodes"]), g["nodes"]
        assert len(g["nodes"]) == len(space.nodes) and "out" in [n for n, _ in g["nodes"]]
        sizes = page.evaluate("() => [...document.querySelectorAll('text.nbui-edge-label')]"
                              ".map((t) => t.getBoundingClientRect().height)")
        assert sizes and min(sizes) >= 9, sizes
        page.screenshot(path=str(artifact_path("arch_view_darts_cell_830.png")))
        assert page._nbui_errors == []
    finally:
        page.close()


_LABEL_BOXES_JS = """() => {
  const box = (e) => { const b = e.getBoundingClientRect();
    return [b.left, b.top, b.right, b.bottom]; };
  return {
    labels: [...document.querySelectorAll("rect.nbui-edge-label-bg")].map(box),
    nodes: [...document.querySelectorAll("g.nbui-node")].map((g) =>
      [g.dataset.node, box(g.querySelector("rect.nbui-box"))]),
  };
}"""


@pytest.mark.parametrize("preset", ["nb201", "digits_cell", "darts_cell", "keras_cnn", "mlp",
                                    "rnn", "darts"])
def test_editor_labels_clear_each_other_and_every_node(browser: Any, preset: str) -> None:
    """An edge's label (its background box) overlaps no other label and no node, its own
    end nodes included: on nb201 and digits_cell the labels of 0 -> 1, 1 -> 2 and 2 -> 3
    sat between their two nodes, over both (the placement skipped an edge's own ends),
    and the three curved edges' labels stood in one row under crossing lines."""
    page = _mount(browser, GraphEditor(spaces.get(preset)))
    try:
        g = page.evaluate(_LABEL_BOXES_JS)
        labels = g["labels"]
        assert len(labels) == len(spaces.get(preset).edges)
        over_labels = [(i, j) for i, a in enumerate(labels) for j, b in enumerate(labels)
                       if i < j and _meets(a, b)]
        over_nodes = [(i, name) for i, a in enumerate(labels) for name, b in g["nodes"]
                      if _meets(a, b)]
        assert over_labels == [] and over_nodes == [], (over_labels, over_nodes)
        if preset in {"nb201", "digits_cell"}:
            page.screenshot(path=str(artifact_path(f"graph_editor_labels_{preset}.png")))
        assert page._nbui_errors == []
    finally:
        page.close()


# each edge's line path, its line element marked as seen before (the same element, not
# one drawn again), and how many edges the last draw routed
_EDGES_JS = """() => Object.fromEntries([...document.querySelectorAll("g.nbui-edge")].map((g) => {
  const line = g.querySelector("path.nbui-edge-line");
  const kept = line.nbuiSeen === true;
  line.nbuiSeen = true;
  return [g.dataset.edge, [line.getAttribute("d"), kept]];
}))"""
_ROUTED_JS = "() => Number(document.querySelector('svg.nbui-svg').dataset.routed)"


def test_a_drag_routes_only_the_dragged_nodes_edges_then_all_at_rest(browser: Any) -> None:
    """Every mouse move of a node's drag redrew the editor, routing all of darts' 40
    edges (6-70 ms of routing a move here, a janky drag). While a node is dragged only its own
    edges are routed and drawn again, the others keep their lines (the same elements);
    on release every edge is routed again and the labels clear each other and the nodes.
    ``data-routed`` on the SVG counts the edges the last draw routed."""
    space = spaces.darts()
    ed = GraphEditor(space)
    page = _mount(browser, ed)
    try:
        node = "normal.n1"
        touching = {e.label for e in space.edges if node in (e.src, e.dst)}
        assert len(touching) == 6
        assert page.evaluate(_ROUTED_JS) == len(space.edges)
        rest = page.evaluate(_EDGES_JS)
        x, y = _centre(page, f'g.nbui-node[data-node="{node}"] rect.nbui-box')
        page.mouse.move(x, y)
        page.mouse.down()
        routed = []
        for k in range(1, 13):
            page.mouse.move(x + 6 * k, y + 2 * k)
            routed.append(page.evaluate(_ROUTED_JS))
            now = page.evaluate(_EDGES_JS)
            changed = {label for label in now if now[label][0] != rest[label][0]}
            redrawn = {label for label in now if not now[label][1]}
            assert changed <= touching and redrawn <= touching, (k, changed, redrawn)
        assert routed == [len(touching)] * len(routed), routed
        page.mouse.up()
        _wait(page, lambda: ed.positions[node] != [140.0, 312.0], "the drag to reach Python")
        assert page.evaluate(_ROUTED_JS) == len(space.edges)
        g = page.evaluate(_LABEL_BOXES_JS)
        labels = g["labels"]
        assert len(labels) == len(space.edges)
        over_labels = [(i, j) for i, a in enumerate(labels) for j, b in enumerate(labels)
                       if i < j and _meets(a, b)]
        over_nodes = [(i, name) for i, a in enumerate(labels) for name, b in g["nodes"]
                      if _meets(a, b)]
        assert over_labels == [] and over_nodes == [], (over_labels, over_nodes)
        page.screenshot(path=str(artifact_path("graph_editor_darts_after_drag.png")))
        assert page._nbui_errors == []
    finally:
        page.close()
