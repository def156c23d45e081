// nasbench_ui graph editor (mode "edit") and architecture view (mode "view").
// A plain ES module for anywidget: no build step, no framework, SVG drawn by hand.
// Python owns the truth: edits change a copy of `space_json` and send it back whole.

const SVG_NS = "http://www.w3.org/2000/svg";
const NODE_W = 124;
const NODE_H = 46;
const NAME_PX = 17; // node names, in SVG units (.nbui-name): at least 14 px on screen at fit
const LABEL_PX = 13; // edge labels (.nbui-edge-label)
const CHAR_W = LABEL_PX * 0.58; // a label character's width, for placing labels
const READABLE_PX = 14.5; // 14 px and a margin for rounding
const MAX_SCALE = 1; // a small graph is drawn at its size (a drag moves a node by the pointer's distance)
const MIN_SCALE = 0.5; // graphs of more than READABLE_NODES nodes may shrink down to this
const READABLE_NODES = 12;
const MAX_HEIGHT = 560; // the canvas's max-height (.nbui-canvas)
const HANDLE_R = 7;
const PAD = 16; // room around the drawing, in SVG units
// the zoom after a click on Fit: the whole graph in the canvas, even below READABLE_PX
const FIT_ALL = "all";
const BENDS = [0, 60, -60, 100, -100, 140, -140, 190, -190];
let instances = 0;

function svg(tag, attrs, parent) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

function html(tag, attrs, parent, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") el.className = v;
    else if (k.startsWith("data-")) el.setAttribute(k, v);
    else el[k] = v;
  }
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

const clone = (x) => JSON.parse(JSON.stringify(x));
const short = (s, n) => (s.length > n ? s.slice(0, n - 1) + "\u2026" : s);

// "conv_3x3 | skip" when short, else "5 ops": the count of distinct ops, as many as the
// edge form ticks (the full list is in the tooltip and form)
function opsLabel(ops) {
  const uniq = [...new Set(ops)];
  const all = uniq.join(" | ");
  if (all.length <= 22) return all;
  return uniq.length > 1 ? `${uniq.length} ops` : short(all, 22);
}

// an edge as read in its direction: "input → n1" (the stored label stays "n1<-input")
const edgeText = (e) => `${e.src} → ${e.dst}`;

function nodeNames(d) {
  const out = [];
  for (const n of Array.isArray(d.nodes) ? d.nodes : []) {
    const name = typeof n === "string" ? n : n && n.name;
    if (typeof name === "string" && !out.includes(name)) out.push(name);
  }
  return out;
}

function nodeMerge(d, name) {
  const n = (d.nodes || []).find((x) => x && (x === name || x.name === name));
  return n && typeof n === "object" && n.merge ? n.merge : "sum";
}

function edgeList(d) {
  return (Array.isArray(d.edges) ? d.edges : [])
    .filter((e) => e && typeof e.src === "string" && typeof e.dst === "string")
    .map((e) => ({ ...e, label: e.label || `${e.dst}<-${e.src}`, ops: Array.isArray(e.ops) ? e.ops : [] }));
}

const ends = (d) => {
  const names = nodeNames(d);
  return { input: d.input || names[0], output: d.output || names[names.length - 1] };
};

// Point where the ray from a node centre towards (tx, ty) leaves the node box.
function boxExit(c, tx, ty, pad) {
  const dx = tx - c[0], dy = ty - c[1];
  if (!dx && !dy) return [c[0], c[1]];
  const t = Math.min(
    dx ? (NODE_W / 2 + pad) / Math.abs(dx) : Infinity,
    dy ? (NODE_H / 2 + pad) / Math.abs(dy) : Infinity,
  );
  return [c[0] + dx * t, c[1] + dy * t];
}

function inBox(p, c, padX, padY) {
  return Math.abs(p[0] - c[0]) <= NODE_W / 2 + padX && Math.abs(p[1] - c[1]) <= NODE_H / 2 + padY;
}

const overlaps = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const inside = (pt, b) => pt[0] > b.x0 && pt[0] < b.x1 && pt[1] > b.y0 && pt[1] < b.y1;
const widen = (b, m) => ({ x0: b.x0 - m, y0: b.y0 - m, x1: b.x1 + m, y1: b.y1 + m });

// a point of the quadratic curve p -> q with control point c, at t in [0, 1]
function quad(p, c, q, t) {
  const u = 1 - t;
  return [u * u * p[0] + 2 * u * t * c[0] + t * t * q[0], u * u * p[1] + 2 * u * t * c[1] + t * t * q[1]];
}

// the curve's unit normal at t, on the same side as a positive bend
function normalAt(p, c, q, t) {
  const dx = 2 * (1 - t) * (c[0] - p[0]) + 2 * t * (q[0] - c[0]);
  const dy = 2 * (1 - t) * (c[1] - p[1]) + 2 * t * (q[1] - c[1]);
  const len = Math.hypot(dx, dy) || 1;
  return [dy / len, -dx / len];
}

const LABEL_GAP = 4; // SVG units kept free between a label and another label or a node
// how far a label may sit from its line: far only from a straight one, whose label may
// have to clear its end nodes (a curve can bend further instead)
const LINE_GAPS = [3, 10, 18, 28, 38];
const SPOTS = [0.5, 0.4, 0.6, 0.3, 0.7]; // where along its curve
const SAMPLES = 24; // points per curve, to find what it crosses
const NEAR = 40; // two labels closer than this (SVG units) read as one row of labels

function ptsBox(pts) {
  const xs = pts.map((pt) => pt[0]), ys = pts.map((pt) => pt[1]);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
}

// whether a curve ({pts, box}) passes through a box
const crosses = (curve, b) => overlaps(curve.box, b) && curve.pts.some((pt) => inside(pt, b));

// the distance between two boxes (0 when they overlap)
const apart = (a, b) => Math.hypot(Math.max(0, a.x0 - b.x1, b.x0 - a.x1), Math.max(0, a.y0 - b.y1, b.y0 - a.y1));

// Route every edge as a quadratic curve and place its label beside it, choosing among
// bends (BENDS), places along the curve (SPOTS), sides and distances (LINE_GAPS) the
// cheapest: a curve through a node other than its ends, or a label over any node (its
// own ends included) or over another label, is all but ruled out; a curve across a
// label costs a little; then the straighter, the nearer its curve and its middle, the
// better. Labels are placed in `edges`' order, each avoiding those before it.
// `prior` (the routes of an earlier call, or null): an edge whose ends are where they were
// and whose label reads the same keeps its route there, which the others avoid; only the rest
// are routed (a drag re-routes the edges of the dragged node). Returns the routes by edge
// label and how many were routed.
function routeEdges(edges, pos, labelOf, prior) {
  const names = Object.keys(pos);
  // fewer choices for a large graph, which is drawn at each step of a drag
  const many = names.length > 150, rich = edges.length <= 30;
  const bends = many ? [0] : BENDS;
  const spots = rich ? SPOTS : [0.5, 0.3, 0.7];
  const gaps = rich ? LINE_GAPS : LINE_GAPS.slice(0, 2);
  const nodeBoxes = names.map((n) => [n, {
    x0: pos[n][0] - NODE_W / 2 - LABEL_GAP, x1: pos[n][0] + NODE_W / 2 + HANDLE_R + LABEL_GAP,
    y0: pos[n][1] - NODE_H / 2 - LABEL_GAP, y1: pos[n][1] + NODE_H / 2 + LABEL_GAP,
  }]);
  const labels = []; // the label boxes placed so far, widened by LABEL_GAP
  const curves = []; // the curves routed so far: their points and the box around them
  const routes = {};
  // what a route was made for: its ends' places and its label's text
  const keyOf = (e) => JSON.stringify([e.src, e.dst, pos[e.src], pos[e.dst], labelOf(e)]);
  const todo = [];
  for (const e of edges) {
    const old = prior && prior[e.label];
    if (old && old.key === keyOf(e)) {
      routes[e.label] = old;
      if (old.box) labels.push(widen(old.box, LABEL_GAP));
      curves.push(old.own);
    } else todo.push(e);
  }
  let routed = 0;
  for (const e of todo) {
    const p = pos[e.src], q = pos[e.dst];
    if (!p || !q) continue;
    routed++;
    const len = Math.hypot(q[0] - p[0], q[1] - p[1]) || 1;
    const nx = (q[1] - p[1]) / len, ny = -(q[0] - p[0]) / len;
    const text = labelOf(e);
    const w = text.length * CHAR_W + 10, h = LABEL_PX + 4;
    let best = null;
    for (const [bi, bend] of bends.entries()) {
      const c = [(p[0] + q[0]) / 2 + nx * bend, (p[1] + q[1]) / 2 + ny * bend];
      // the curve as drawn: from the edge of one node's box to the other's
      const a = boxExit(p, c[0], c[1], 1), z = boxExit(q, c[0], c[1], 3);
      const pts = [];
      for (let i = 1; i < SAMPLES; i++) pts.push(quad(a, c, z, i / SAMPLES));
      const own = { pts, box: ptsBox(pts) };
      let cost = bi * 12;
      for (const [name, b] of nodeBoxes) if (name !== e.src && name !== e.dst && crosses(own, b)) cost += 400;
      for (const b of labels) if (crosses(own, b)) cost += 40;
      if (best && cost >= best.cost) continue;
      if (!text) { best = { cost, c, a, z, own, mid: quad(a, c, z, 0.5), box: null }; continue; }
      // the label: on the curve's outer side first; beside a straight line, on the side
      // away from the positive bends, which the curves try first
      const sides = bend > 0 ? [1, -1] : [-1, 1];
      for (const t of spots) {
        const at = quad(a, c, z, t);
        const n = normalAt(a, c, z, t);
        for (const [si, side] of sides.entries()) {
          for (const [gi, gap] of (bend ? gaps.slice(0, 2) : gaps).entries()) {
            let lc = cost + si * 6 + gi * 3 + Math.abs(t - 0.5) * 20;
            if (best && lc >= best.cost) continue;
            // from the curve to the box's centre: the gap plus the box's reach along n
            const reach = gap + (w / 2) * Math.abs(n[0]) + (h / 2) * Math.abs(n[1]);
            const mid = [at[0] + side * n[0] * reach, at[1] + side * n[1] * reach];
            const box = { x0: mid[0] - w / 2, x1: mid[0] + w / 2, y0: mid[1] - h / 2, y1: mid[1] + h / 2 };
            for (const b of labels) lc += overlaps(box, b) ? 1000 : apart(box, b) < NEAR - LABEL_GAP ? 30 : 0;
            for (const [, b] of nodeBoxes) if (overlaps(box, b)) lc += 1000;
            if (crosses(own, box)) lc += 40;
            for (const other of curves) if (crosses(other, box)) lc += 40;
            if (!best || lc < best.cost) best = { cost: lc, c, a, z, own, mid, box };
          }
        }
      }
    }
    if (best.box) labels.push(widen(best.box, LABEL_GAP));
    curves.push(best.own);
    const { a, z, c } = best;
    routes[e.label] = { d: `M${a[0]},${a[1]} Q${c[0]},${c[1]} ${z[0]},${z[1]}`, mid: best.mid, box: best.box, centre: quad(a, c, z, 0.5), pts: best.own.pts, own: best.own, key: keyOf(e) };
  }
  return { routes, routed };
}

function render({ model, el }) {
  const uid = `nbui${++instances}${Math.random().toString(36).slice(2, 7)}`;
  const editing = model.get("mode") !== "view";
  const offs = [];
  const on = (name, cb) => { model.on(name, cb); offs.push(() => model.off(name, cb)); };

  const root = html("div", { class: `nbui-graph ${editing ? "nbui-editor" : "nbui-view"}` }, el);
  // keys typed in the editor are the editor's: JupyterLab's shortcuts never see them
  // (Lumino skips a target under data-lm-suppress-shortcuts; the keydown handler below
  // also stops the event, which JupyterLab listens for in the bubbling phase)
  if (editing) root.setAttribute("data-lm-suppress-shortcuts", "true");
  let sizeEl = null, undoBtn = null, redoBtn = null, io = null;
  if (editing) {
    const bar = html("div", { class: "nbui-toolbar" }, root);
    const button = (cls, text, title, fn) => {
      const b = html("button", { class: `nbui-btn ${cls}`, title, type: "button" }, bar, text);
      b.addEventListener("click", fn);
      return b;
    };
    button("nbui-add-node", "+ Node", "Add an unconnected node; drag from a node's handle to connect it", addNode);
    button("nbui-delete", "Delete", "Delete the selected node or edge (Delete or Backspace)", deleteSelected);
    undoBtn = button("nbui-undo", "Undo", "Undo the last edit (Ctrl+Z)", () => model.send({ type: "undo" }));
    redoBtn = button("nbui-redo", "Redo", "Redo (Ctrl+Shift+Z)", () => model.send({ type: "redo" }));
    button("nbui-fit", "Fit", "Zoom to fit the whole graph", fitAll);
    button("nbui-relayout", "Tidy", "Recompute the node positions", () => model.send({ type: "relayout" }));
    button("nbui-export", "Export JSON", "Show the space as JSON", () => openIO("export"));
    button("nbui-import", "Import JSON", "Paste a space's JSON", () => openIO("import"));
    sizeEl = html("span", { class: "nbui-size" }, bar);
  } else {
    html("div", { class: "nbui-title" }, root);
  }
  const main = html("div", { class: "nbui-main" }, root);
  const canvas = html("div", { class: "nbui-canvas", tabIndex: editing ? 0 : -1 }, main);
  const side = html("div", { class: editing ? "nbui-side" : "nbui-notes" }, editing ? main : root);
  const svgEl = svg("svg", { class: "nbui-svg" }, canvas);
  const errBox = editing ? html("div", { class: "nbui-errors" }, root) : null;
  // notes on a valid space (a hyperparameter nothing reads): red, text only
  const warnBox = editing ? html("div", { class: "nbui-warnings" }, root) : null;
  if (editing) io = html("div", { class: "nbui-io", hidden: true }, root);

  let pos = {};
  // null: fit, keeping names readable (the canvas may scroll); FIT_ALL: fit the whole
  // graph (the Fit button); a number: the scale the user chose with Ctrl+wheel
  let zoom = null;
  let drag = null;
  let frozenBox = null;
  let lastRoutes = null; // the last draw's edge routes (kept by a drag for the edges not moved)
  let drawn = null; // the last full draw's layers, and each edge's route and elements, each node's group
  let formKey = "";
  let pendingImport = false;

  const state = () => model.get("space_json") || {};
  const selected = () => model.get("selected") || { kind: null, id: null };

  function commit(d, extra) {
    model.set("space_json", d);
    for (const [k, v] of Object.entries(extra || {})) model.set(k, v);
    model.save_changes();
  }

  function select(kind, id) {
    model.set("selected", { kind, id });
    model.save_changes();
  }

  // ------------------------------------------------------------------ drawing
  // `step`: a step of a node's drag (pointermove), which may redraw only what moved
  function draw(step) {
    const d = state();
    const names = nodeNames(d);
    const { input, output } = ends(d);
    const edges = edgeList(d);
    const errors = model.get("errors") || {};
    const badNodes = new Set(errors.nodes || []);
    const badEdges = new Set(errors.edges || []);
    const sel = selected();
    const shown = new Map((editing ? [] : model.get("edges_shown") || []).map((e) => [e.label, e]));
    const choices = new Map((d.input_choices || []).filter((c) => c && c.node).map((c) => [c.node, c]));
    const labelOf = (e) => (editing ? opsLabel(e.ops) : shown.has(e.label) ? shown.get(e.label).op : "");
    // draw kept edges last so their labels win the free spots; in the editor the short
    // edges first, whose labels have the fewest places to go (beside a straight line)
    const span = (e) => (pos[e.src] && pos[e.dst] ? Math.hypot(pos[e.dst][0] - pos[e.src][0], pos[e.dst][1] - pos[e.src][1]) : 0);
    const ordered = editing ? [...edges].sort((a, b) => span(a) - span(b)) : [...edges.filter((e) => !shown.has(e.label)), ...edges.filter((e) => shown.has(e.label))];
    // while a node is dragged only its edges are routed again (the others keep their
    // routes, and its labels avoid theirs): a full routing of darts' 40 edges took
    // 6-70 ms at each mouse move here. At rest (the drag's end too) every edge is routed.
    const moving = drag && drag.kind === "move" && drag.moved;
    const { routes, routed } = routeEdges(ordered, pos, labelOf, moving ? lastRoutes : null);
    lastRoutes = routes;
    svgEl.dataset.routed = routed; // edges routed by this draw, for tests

    // an edge's line (edgeLayer) and label (labelLayer): the elements added
    const drawEdge = (e, r, edgeLayer, labelLayer) => {
      const active = editing || shown.has(e.label);
      const kind = badEdges.has(e.label) ? "bad" : sel.kind === "edge" && sel.id === e.label ? "sel" : active ? "plain" : "faint";
      const g = svg("g", { class: `nbui-edge nbui-edge-${kind}${active ? "" : " nbui-inactive"}`, "data-edge": e.label, "data-src": e.src, "data-dst": e.dst }, edgeLayer);
      svg("title", {}, g).textContent = `${edgeText(e)}: ${e.ops.join(" | ")}`;
      if (editing) {
        svg("path", { d: r.d, class: "nbui-edge-hit" }, g);
        // a small target at the middle: a straight vertical edge has a box of zero width
        // otherwise (to a page, and to a test, it would have no size)
        const c = r.centre;
        svg("rect", { x: c[0] - 6, y: c[1] - 6, width: 12, height: 12, class: "nbui-edge-knob" }, g);
      }
      svg("path", { d: r.d, class: "nbui-edge-line", "marker-end": `url(#${uid}-${kind})` }, g);
      const text = labelOf(e);
      if (!text) return [g];
      const bw = text.length * CHAR_W + 8;
      // in the editor a label is a click target of its edge, as its line is
      const tag = editing ? svg("g", { class: `nbui-edge-tag nbui-edge-${kind}`, "data-edge": e.label }, labelLayer) : labelLayer;
      if (editing) svg("title", {}, tag).textContent = `${edgeText(e)}: ${e.ops.join(" | ")}`;
      const bg = svg("rect", { x: r.mid[0] - bw / 2, y: r.mid[1] - LABEL_PX / 2 - 1, width: bw, height: LABEL_PX + 2, rx: 3, class: "nbui-edge-label-bg" }, tag);
      const t = svg("text", { x: r.mid[0], y: r.mid[1] + LABEL_PX * 0.35, class: "nbui-edge-label", "data-edge": e.label, "text-anchor": "middle" }, tag);
      t.textContent = text;
      return editing ? [g, tag] : [g, bg, t];
    };

    // a drag's step: all else is as the last draw left it (the same space, selection and
    // frame), so the dragged node moves and only the edges routed again are drawn again;
    // rebuilding darts' whole drawing, and its style and layout, took most of a step
    if (step && drawn && frozenBox && ordered.every((e) => !routes[e.label] || drawn.edges.has(e.label))) {
      for (const e of ordered) {
        const r = routes[e.label], old = drawn.edges.get(e.label);
        if (!r || old.route === r) continue;
        const els = drawEdge(e, r, drawn.edgeLayer, drawn.labelLayer);
        els.forEach((el, i) => { if (old.els[i]) old.els[i].replaceWith(el); });
        old.els.slice(els.length).forEach((el) => el.remove());
        drawn.edges.set(e.label, { route: r, els });
      }
      for (const [name, g] of drawn.nodes) {
        const xy = pos[name];
        const at = xy && `translate(${xy[0]},${xy[1]})`;
        if (at && g.getAttribute("transform") !== at) g.setAttribute("transform", at);
      }
      return;
    }

    svgEl.replaceChildren();
    const defs = svg("defs", {}, svgEl);
    for (const kind of ["plain", "bad", "sel", "faint"]) {
      const m = svg("marker", { id: `${uid}-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      svg("path", { d: "M0,0 L10,5 L0,10 z", class: `nbui-arrow nbui-arrow-${kind}` }, m);
    }
    const edgeLayer = svg("g", { class: "nbui-edges" }, svgEl);
    const nodeLayer = svg("g", { class: "nbui-nodes" }, svgEl);
    const labelLayer = svg("g", { class: "nbui-labels" }, svgEl);
    drawn = { edgeLayer, labelLayer, edges: new Map(), nodes: new Map() };

    let box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    const grow = (b) => { box = { x0: Math.min(box.x0, b.x0), y0: Math.min(box.y0, b.y0), x1: Math.max(box.x1, b.x1), y1: Math.max(box.y1, b.y1) }; };

    for (const e of ordered) {
      const r = routes[e.label];
      if (!r) continue;
      drawn.edges.set(e.label, { route: r, els: drawEdge(e, r, edgeLayer, labelLayer) });
      for (const pt of r.pts) grow({ x0: pt[0], x1: pt[0], y0: pt[1], y1: pt[1] });
      if (r.box) grow(r.box);
    }

    const activeIn = new Set([...shown.values()].map((e) => e.dst));
    for (const name of names) {
      const xy = pos[name];
      if (!xy) continue;
      const role = name === input ? "input" : name === output ? "output" : "inner";
      const faint = !editing && role !== "input" && model.get("arch") && !activeIn.has(name);
      const classes = ["nbui-node", `nbui-${role}`];
      if (badNodes.has(name)) classes.push("nbui-bad");
      if (sel.kind === "node" && sel.id === name) classes.push("nbui-selected");
      if (faint) classes.push("nbui-inactive");
      const g = svg("g", { class: classes.join(" "), "data-node": name, transform: `translate(${xy[0]},${xy[1]})` }, nodeLayer);
      drawn.nodes.set(name, g);
      svg("title", {}, g).textContent = name;
      svg("rect", { x: -NODE_W / 2, y: -NODE_H / 2, width: NODE_W, height: NODE_H, rx: 9, class: "nbui-box" }, g);
      svg("text", { y: -2, "text-anchor": "middle", class: "nbui-name" }, g).textContent = short(name, 12);
      const ic = choices.get(name);
      let sub = role === "input" ? "input" : role === "output" ? `output \u00b7 ${nodeMerge(d, name)}` : nodeMerge(d, name);
      if (ic) sub += ` \u00b7 ${ic.k} of ${(ic.candidates || []).length || "?"}`;
      svg("text", { y: 15, "text-anchor": "middle", class: "nbui-sub" }, g).textContent = sub;
      if (editing && role !== "output") svg("circle", { cx: NODE_W / 2, cy: 0, r: HANDLE_R, class: "nbui-handle", "data-node": name }, g);
      grow({ x0: xy[0] - NODE_W / 2, x1: xy[0] + NODE_W / 2 + (editing && role !== "output" ? HANDLE_R : 0), y0: xy[1] - NODE_H / 2, y1: xy[1] + NODE_H / 2 });
    }
    if (!Number.isFinite(box.x0)) box = { x0: 0, y0: 0, x1: 200, y1: 80 };
    if (frozenBox) box = frozenBox;
    else {
      box = { x0: box.x0 - PAD, y0: box.y0 - PAD, x1: box.x1 + PAD, y1: box.y1 + PAD };
      box.scale = typeof zoom === "number" ? zoom : fitScale(box, names.length);
    }
    svgEl.setAttribute("viewBox", `${box.x0} ${box.y0} ${box.x1 - box.x0} ${box.y1 - box.y0}`);
    svgEl.setAttribute("width", (box.x1 - box.x0) * box.scale);
    svgEl.setAttribute("height", (box.y1 - box.y0) * box.scale);
    svgEl.dataset.box = JSON.stringify(box);
    if (drag && drag.kind === "link") svgEl.appendChild(drag.line);
    if (editing) drawChrome();
    else drawNotes();
  }

  // zoom to fit: the whole graph in the canvas (its width, and MAX_HEIGHT), never larger
  // than MAX_SCALE; in the editor a graph of up to READABLE_NODES nodes keeps names of at
  // least READABLE_PX px (the canvas scrolls instead: a drag needs room), a larger one
  // shrinks to MIN_SCALE. The read-only view shrinks any graph to MIN_SCALE, as the
  // Compare tab's drawings do: a darts_cell drawing (1,100 px) scrolled sideways in the
  // workbench's 830 px view panel, its output node out of sight. After a click on Fit
  // (zoom FIT_ALL) the editor fits the whole graph, however small that makes it
  function fitScale(box, count) {
    const availW = canvas.clientWidth - 2;
    if (availW <= 0) return 1;
    const fit = Math.min(MAX_SCALE, availW / (box.x1 - box.x0), (MAX_HEIGHT - 2) / (box.y1 - box.y0));
    if (zoom === FIT_ALL) return fit;
    const floor = editing && count <= READABLE_NODES ? READABLE_PX / NAME_PX : MIN_SCALE;
    return Math.max(floor, fit);
  }

  // the Fit button: the whole graph in view, the canvas scrolled back to its start (a
  // click on the canvas's scrollbar, under the nodes, had scrolled node 0 out of sight,
  // and Fit changed neither the scale nor the scroll)
  function fitAll() {
    zoom = FIT_ALL;
    draw();
    canvas.scrollLeft = 0;
    canvas.scrollTop = 0;
  }

  function drawChrome() {
    const errors = model.get("errors") || {};
    const valid = model.get("space_valid");
    const size = Number(model.get("size") || 0);
    sizeEl.textContent = `${size.toLocaleString("en-US")} ${size === 1 ? "architecture" : "architectures"}${valid ? "" : " (invalid space)"}`;
    sizeEl.classList.toggle("nbui-stale", !valid);
    undoBtn.disabled = !model.get("can_undo");
    redoBtn.disabled = !model.get("can_redo");
    errBox.replaceChildren();
    errBox.classList.toggle("nbui-has-errors", !!errors.message);
    if (errors.message) {
      if (errors.hint) html("div", { class: "nbui-hint" }, errBox, `How to fix: ${errors.hint}.`);
      html("div", { class: "nbui-message" }, errBox, errors.message);
    }
    const warnings = model.get("warnings") || [];
    warnBox.replaceChildren();
    warnBox.classList.toggle("nbui-has-warnings", warnings.length > 0);
    for (const text of warnings) html("div", { class: "nbui-warning" }, warnBox, String(text));
    const sel = selected();
    const key = JSON.stringify([sel, state(), model.get("op_groups"), model.get("op_note")]);
    if (key !== formKey) {
      formKey = key;
      drawForm();
    }
  }

  function drawNotes() {
    root.querySelector(".nbui-title").textContent = model.get("title") || "";
    side.replaceChildren();
    const notes = model.get("notes") || [];
    if (!notes.length) return;
    const ul = html("ul", { class: "nbui-note-list" }, side);
    for (const n of notes) html("li", { class: "nbui-note" }, ul, n);
  }

  // -------------------------------------------------------------- side forms
  function drawForm() {
    side.replaceChildren();
    const sel = selected();
    const d = state();
    if (sel.kind === "edge") {
      const e = edgeList(d).find((x) => x.label === sel.id);
      if (e) return edgeForm(d, e);
    }
    if (sel.kind === "node" && nodeNames(d).includes(sel.id)) return nodeForm(d, sel.id);
    html("p", { class: "nbui-help" }, side,
      "Click a node or an edge to edit it. Drag a node to move it; drag from the small circle on its right to another node to add an edge.");
  }

  function field(parent, labelText, input) {
    const row = html("label", { class: "nbui-field" }, parent);
    html("span", {}, row, labelText);
    row.appendChild(input);
    return input;
  }

  function edgeForm(d, e) {
    html("h4", {}, side, `Edge ${edgeText(e)}`);
    const formErr = html("div", { class: "nbui-form-error" });
    const index = edgeList(d).findIndex((x) => x.label === e.label);
    const update = (fn) => {
      const nd = clone(d);
      fn(nd.edges[index]);
      commit(nd, { selected: { kind: "edge", id: nd.edges[index].label || `${e.dst}<-${e.src}` } });
    };
    const label = field(side, "decision label", html("input", { class: "nbui-edge-name", type: "text", value: e.label }));
    label.addEventListener("change", () => update((x) => { x.label = label.value.trim() || `${e.dst}<-${e.src}`; }));
    const groups = { ...(model.get("op_groups") || {}) };
    const known = new Set(Object.values(groups).flat());
    const other = e.ops.filter((o) => !known.has(o));
    if (other.length) groups.other = [...new Set(other)];
    const ticked = new Set(e.ops);
    const count = ticked.size;
    // the ticked operations first (grouped), then the others to add (grouped): those that
    // fit the space (op_groups), with op_note saying why the list is short
    const section = (title, cls, keep, note) => {
      const sec = html("div", { class: `nbui-ops ${cls}` }, side);
      html("div", { class: "nbui-subtitle" }, sec, title);
      if (note) html("div", { class: "nbui-ops-note" }, sec, note);
      for (const [group, names] of Object.entries(groups)) {
        const shown = names.filter(keep);
        if (!shown.length) continue;
        const box = html("div", { class: "nbui-group" }, sec);
        html("div", { class: "nbui-group-name" }, box, group);
        for (const op of shown) {
          const row = html("label", { class: "nbui-check" }, box);
          const cb = html("input", { type: "checkbox", class: "nbui-op", checked: ticked.has(op), "data-op": op }, row);
          html("span", {}, row, op);
          cb.addEventListener("change", () => update((x) => {
            const cur = Array.isArray(x.ops) ? x.ops.filter((o) => o !== op) : [];
            x.ops = cb.checked ? [...cur, op] : cur;
          }));
        }
      }
    };
    section(`Chosen: ${count} ${count === 1 ? "op" : "ops"}`, "nbui-ops-chosen", (op) => ticked.has(op));
    section("Add an operation", "nbui-ops-more", (op) => !ticked.has(op), model.get("op_note") || "");
    for (const key of ["params", "bind"]) {
      const help = key === "params" ? "params (JSON, e.g. {\"filters\": 32})" : "bind (JSON: keyword \u2192 hyperparameter)";
      const ta = field(side, help, html("textarea", { class: `nbui-${key}`, rows: 2, value: JSON.stringify(e[key] || {}) }));
      ta.addEventListener("change", () => {
        let v;
        try { v = JSON.parse(ta.value || "{}"); } catch (err) { formErr.textContent = `${key}: not valid JSON (${err.message})`; return; }
        if (!v || typeof v !== "object" || Array.isArray(v)) { formErr.textContent = `${key} must be a JSON object like {"kernel_size": 3}`; return; }
        formErr.textContent = "";
        update((x) => { x[key] = v; });
      });
    }
    side.appendChild(formErr);
  }

  function nodeForm(d, name) {
    const { input, output } = ends(d);
    html("h4", {}, side, `Node ${name}`);
    if (name === input || name === output) html("div", { class: "nbui-help" }, side, `This is the ${name === input ? "input" : "output"} node.`);
    const formErr = html("div", { class: "nbui-form-error" });
    const nameIn = field(side, "name", html("input", { class: "nbui-node-name", type: "text", value: name }));
    nameIn.addEventListener("change", () => {
      const nn = nameIn.value.trim();
      if (nn === name) return;
      if (!nn) { formErr.textContent = "a node needs a name"; return; }
      if (nodeNames(d).includes(nn)) { formErr.textContent = `there is already a node '${nn}'`; return; }
      renameNode(d, name, nn);
    });
    const merge = field(side, "merge", html("select", { class: "nbui-merge" }));
    for (const m of ["sum", "concat"]) html("option", { value: m, selected: nodeMerge(d, name) === m }, merge, m);
    merge.addEventListener("change", () => {
      const nd = clone(d);
      nd.nodes = nd.nodes.map((n) => ((n === name || (n && n.name === name)) ? { name, merge: merge.value } : n));
      commit(nd);
    });
    if (name !== input) {
      const preds = edgeList(d).filter((e) => e.dst === name).map((e) => e.src);
      const ics = Array.isArray(d.input_choices) ? d.input_choices : [];
      const ic = ics.find((c) => c && c.node === name);
      const row = html("label", { class: "nbui-check" }, side);
      const choose = html("input", { type: "checkbox", class: "nbui-choose", checked: !!ic }, row);
      html("span", {}, row, `choose k of its ${preds.length} inputs`);
      const k = field(side, "k", html("input", { class: "nbui-k", type: "number", min: 1, max: Math.max(1, preds.length), value: ic ? ic.k : 1, disabled: !ic }));
      choose.addEventListener("change", () => {
        const nd = clone(d);
        nd.input_choices = ics.filter((c) => c && c.node !== name);
        if (choose.checked) nd.input_choices.push({ node: name, k: Math.max(1, Math.min(Number(k.value) || 1, preds.length)), candidates: preds, label: `${name}.inputs` });
        commit(nd);
      });
      k.addEventListener("change", () => {
        const nd = clone(d);
        const c = (nd.input_choices || []).find((x) => x && x.node === name);
        if (c) { c.k = Number.parseInt(k.value, 10); commit(nd); }
      });
    }
    side.appendChild(formErr);
  }

  // ------------------------------------------------------------------ edits
  function renameNode(d, old, nn) {
    const nd = clone(d);
    nd.nodes = nd.nodes.map((n) => (n === old ? nn : n && n.name === old ? { ...n, name: nn } : n));
    for (const e of nd.edges || []) {
      const dflt = e.label === `${e.dst}<-${e.src}` || !e.label;
      if (e.src === old) e.src = nn;
      if (e.dst === old) e.dst = nn;
      if (dflt) e.label = `${e.dst}<-${e.src}`;
    }
    for (const c of nd.input_choices || []) {
      if (c.node === old) { if (c.label === `${old}.inputs`) c.label = `${nn}.inputs`; c.node = nn; }
      c.candidates = (c.candidates || []).map((x) => (x === old ? nn : x));
    }
    if (nd.input === old) nd.input = nn;
    if (nd.output === old) nd.output = nn;
    const np = {};
    for (const [k, v] of Object.entries(pos)) np[k === old ? nn : k] = v;
    commit(nd, { positions: np, selected: { kind: "node", id: nn } });
  }

  function addNode() {
    const d = clone(state());
    const names = nodeNames(d);
    let k = 1;
    while (names.includes(`n${k}`)) k++;
    const name = `n${k}`;
    const { output } = ends(d);
    const xs = Object.values(pos).map((p) => p[0]), ys = Object.values(pos).map((p) => p[1]);
    const x = xs.length ? (Math.min(...xs) + Math.max(...xs)) / 2 : 100;
    const y = ys.length ? Math.max(...ys) + 90 : 100;
    const at = (d.nodes || []).findIndex((n) => n === output || (n && n.name === output));
    d.nodes = Array.isArray(d.nodes) ? d.nodes : [];
    d.nodes.splice(at < 0 ? d.nodes.length : at, 0, { name, merge: "sum" });
    if (!d.output && output) d.output = output;
    commit(d, { positions: { ...pos, [name]: [x, y] }, selected: { kind: "node", id: name } });
  }

  function addEdge(src, dst) {
    const d = clone(state());
    const existing = edgeList(d).find((e) => e.src === src && e.dst === dst);
    if (existing) return select("edge", existing.label);
    const label = `${dst}<-${src}`;
    d.edges = Array.isArray(d.edges) ? d.edges : [];
    d.edges.push({ src, dst, ops: ["skip"], label, params: {}, bind: {} });
    const ic = (d.input_choices || []).find((c) => c && c.node === dst);
    if (ic && !(ic.candidates || []).includes(src)) ic.candidates = [...(ic.candidates || []), src];
    commit(d, { selected: { kind: "edge", id: label } });
  }

  function dropCandidate(d, node, src) {
    d.input_choices = (d.input_choices || []).flatMap((c) => {
      if (!c || c.node !== node) return [c];
      const cand = (c.candidates || []).filter((x) => x !== src);
      return cand.length ? [{ ...c, candidates: cand, k: Math.min(c.k, cand.length) }] : [];
    });
  }

  function deleteSelected() {
    const sel = selected();
    const d = clone(state());
    if (sel.kind === "edge") {
      const edges = edgeList(d);
      const i = edges.findIndex((e) => e.label === sel.id);
      if (i < 0) return;
      d.edges.splice(i, 1);
      dropCandidate(d, edges[i].dst, edges[i].src);
      commit(d, { selected: { kind: null, id: null } });
    } else if (sel.kind === "node") {
      const { input, output } = ends(d);
      if (sel.id === input || sel.id === output) {
        errBox.replaceChildren(html("div", { class: "nbui-hint" }, null, `The ${sel.id === input ? "input" : "output"} node cannot be deleted.`));
        errBox.classList.add("nbui-has-errors");
        return;
      }
      for (const e of edgeList(d).filter((x) => x.src === sel.id)) dropCandidate(d, e.dst, sel.id);
      d.nodes = d.nodes.filter((n) => n !== sel.id && !(n && n.name === sel.id));
      d.edges = (d.edges || []).filter((e) => e.src !== sel.id && e.dst !== sel.id);
      d.input_choices = (d.input_choices || []).filter((c) => c && c.node !== sel.id);
      const np = { ...pos };
      delete np[sel.id];
      commit(d, { positions: np, selected: { kind: null, id: null } });
    }
  }

  function openIO(kind) {
    io.hidden = false;
    io.replaceChildren();
    html("div", { class: "nbui-subtitle" }, io, kind === "export" ? "The space as JSON (with node positions)" : "Paste a search space's JSON, then Load");
    const ta = html("textarea", { class: "nbui-io-text", rows: 10, spellcheck: false }, io);
    const row = html("div", { class: "nbui-io-buttons" }, io);
    if (kind === "export") {
      ta.value = JSON.stringify({ ...state(), layout: pos }, null, 2);
      ta.readOnly = true;
      const a = html("a", { class: "nbui-btn nbui-download", download: `${state().name || "space"}.json` }, row, "Download");
      a.href = URL.createObjectURL(new Blob([ta.value], { type: "application/json" }));
    } else {
      const load = html("button", { class: "nbui-btn nbui-load", type: "button" }, row, "Load");
      load.addEventListener("click", () => {
        pendingImport = true;
        model.send({ type: "import", text: ta.value });
      });
    }
    const close = html("button", { class: "nbui-btn nbui-close", type: "button" }, row, "Close");
    close.addEventListener("click", closeIO);
  }

  function closeIO() {
    pendingImport = false;
    io.hidden = true;
    io.replaceChildren();
  }

  // --------------------------------------------------------- mouse handling
  function toSvg(ev) {
    const m = svgEl.getScreenCTM();
    if (!m) return [ev.clientX, ev.clientY];
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
    return [p.x, p.y];
  }

  function nodeAt(pt) {
    for (const [name, xy] of Object.entries(pos)) if (inBox(pt, xy, HANDLE_R, 0)) return name;
    return null;
  }

  if (editing) {
    root.addEventListener("keydown", (ev) => {
      ev.stopPropagation(); // never a JupyterLab shortcut (no cell deleted, no cell undo)
      const t = ev.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
      const mod = ev.ctrlKey || ev.metaKey;
      const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
      if (ev.key === "Delete" || ev.key === "Backspace") {
        ev.preventDefault();
        deleteSelected();
      } else if (mod && key === "z") {
        ev.preventDefault();
        model.send({ type: ev.shiftKey ? "redo" : "undo" });
      } else if (mod && key === "y") {
        ev.preventDefault();
        model.send({ type: "redo" });
      } else if (ev.key === "Escape" && selected().kind) {
        select(null, null);
      }
    });
    canvas.addEventListener("wheel", (ev) => {
      if (!(ev.ctrlKey || ev.metaKey)) return;
      ev.preventDefault();
      const cur = JSON.parse(svgEl.dataset.box || "{}").scale || 1;
      zoom = Math.min(2.5, Math.max(0.3, cur * (ev.deltaY < 0 ? 1.1 : 1 / 1.1)));
      draw();
    }, { passive: false });
    svgEl.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      canvas.focus({ preventScroll: true });
      const pt = toSvg(ev);
      const handle = ev.target.closest(".nbui-handle");
      const node = ev.target.closest(".nbui-node");
      const edge = ev.target.closest(".nbui-edge, .nbui-edge-tag");
      frozenBox = JSON.parse(svgEl.dataset.box || "null");
      if (handle) {
        const from = handle.dataset.node;
        const line = svg("line", { class: "nbui-link", x1: pos[from][0] + NODE_W / 2, y1: pos[from][1], x2: pt[0], y2: pt[1] });
        drag = { kind: "link", from, line };
        svgEl.appendChild(line);
      } else if (node) {
        const name = node.dataset.node;
        drag = { kind: "move", name, start: pt, orig: [...pos[name]], moved: false };
      } else if (edge) {
        drag = { kind: "edge", id: edge.dataset.edge };
      } else {
        drag = { kind: "background" };
      }
      svgEl.setPointerCapture(ev.pointerId);
      ev.preventDefault();
    });
    svgEl.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const pt = toSvg(ev);
      if (drag.kind === "link") {
        drag.line.setAttribute("x2", pt[0]);
        drag.line.setAttribute("y2", pt[1]);
        const target = nodeAt(pt);
        for (const g of svgEl.querySelectorAll(".nbui-node")) g.classList.toggle("nbui-target", g.dataset.node === target && target !== drag.from);
      } else if (drag.kind === "move") {
        const dx = pt[0] - drag.start[0], dy = pt[1] - drag.start[1];
        if (!drag.moved && Math.hypot(dx, dy) < 3) return;
        drag.moved = true;
        pos = { ...pos, [drag.name]: [drag.orig[0] + dx, drag.orig[1] + dy] };
        draw(true);
      }
    });
    const finish = (ev) => {
      if (!drag) return;
      const cur = drag;
      drag = null;
      frozenBox = null;
      if (svgEl.hasPointerCapture(ev.pointerId)) svgEl.releasePointerCapture(ev.pointerId);
      if (cur.kind === "link") {
        cur.line.remove();
        const target = ev.type === "pointerup" ? nodeAt(toSvg(ev)) : null;
        if (target && target !== cur.from) addEdge(cur.from, target);
        else draw();
      } else if (cur.kind === "move") {
        if (cur.moved) {
          model.set("positions", { ...pos });
          model.save_changes();
          draw();
        } else select("node", cur.name);
      } else if (cur.kind === "edge") select("edge", cur.id);
      else if (selected().kind) select(null, null);
      else draw();
    };
    svgEl.addEventListener("pointerup", finish);
    svgEl.addEventListener("pointercancel", finish);
  }

  // ------------------------------------------------------------- sync
  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    Promise.resolve().then(() => { queued = false; draw(); });
  };
  // positions the same as drawn (a drag's own, set at its end) need no second drawing
  on("change:positions", () => {
    const next = model.get("positions") || {};
    if (JSON.stringify(next) === JSON.stringify(pos)) return;
    pos = { ...next };
    schedule();
  });
  // a successful import changes the space; a failed one only the errors
  on("change:space_json", () => { if (pendingImport) closeIO(); });
  let lastWidth = 0;
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(() => {
    if (canvas.clientWidth !== lastWidth && !drag) { lastWidth = canvas.clientWidth; schedule(); }
  }) : null;
  if (resize) { resize.observe(canvas); offs.push(() => resize.disconnect()); }
  for (const name of ["space_json", "errors", "size", "space_valid", "selected", "op_groups", "op_note", "can_undo", "can_redo", "edges_shown", "notes", "title", "arch", "warnings"]) {
    on(`change:${name}`, schedule);
  }
  pos = { ...(model.get("positions") || {}) };
  draw();
  return () => offs.forEach((off) => off());
}

export default { render };
