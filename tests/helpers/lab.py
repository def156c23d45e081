"""Drive a notebook in a real JupyterLab page (Playwright, sync API).

Helpers for the browser tests: open a notebook, run all cells, run extra code in
its kernel, read Bokeh data sources as the page sees them, collect console errors,
check that nothing is left loading or failed, and save screenshots.

Example (needs a server and a browser, see ``tests/browser/conftest.py``):
    >>> open_notebook(page, server, Path("demo.ipynb"))          # doctest: +SKIP
    >>> run_all(page)                                             # doctest: +SKIP
    >>> run_code(page, "print(1 + 1)")                            # doctest: +SKIP
    '2\\n'
    >>> bokeh_source_length(page, "points")                       # doctest: +SKIP
    0
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Error, Page

from helpers import artifact_path
from helpers.lab_server import LabServer

IDLE_TEXT = "| Idle"
"""What JupyterLab's status bar shows once the kernel is idle."""

LOADING_TEXTS = ("Loading widget", "Loading BokehJS")
"""Placeholders that must be gone once a notebook has rendered."""

FAILED_WIDGET_TEXTS = (
    "Error displaying widget",
    "Could not create a view for model",
    "Click to show javascript error",
)
"""What ipywidgets / jupyter_bokeh show instead of a view that failed."""

STDERR_SELECTOR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
"""Stream-stderr and error (traceback) outputs both render with this MIME type."""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class ConsoleLog:
    """Console errors and uncaught page errors of one page.

    Example:
        >>> log = ConsoleLog.attach(page)                          # doctest: +SKIP
        >>> log.errors
        []
    """

    errors: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, page: Page) -> ConsoleLog:
        """Start recording ``page``'s console and page errors."""
        log = cls()
        page.on("console", log._on_console)
        page.on("pageerror", lambda exc: log.errors.append(f"pageerror: {exc}"))
        return log

    def _on_console(self, msg: ConsoleMessage) -> None:
        self.messages.append(f"{msg.type}: {msg.text}")
        if msg.type == "error":
            self.errors.append(f"console.error: {msg.text}")


def _check_kernelspec(path: Path) -> None:
    try:
        meta = json.loads(path.read_text())["metadata"]
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path} is not a readable notebook: {exc}") from exc
    if not meta.get("kernelspec", {}).get("name"):
        raise ValueError(
            f"{path} has no kernelspec metadata; JupyterLab would stop at a 'Select "
            "Kernel' dialog. Add metadata.kernelspec = {'name': 'python3', "
            "'display_name': 'Python 3 (ipykernel)', 'language': 'python'}"
        )


def write_notebook(path: Path, *cells: str) -> Path:
    """Write a notebook of code ``cells`` with a python3 kernelspec to ``path``."""
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}}), path)
    return path


def open_notebook(page: Page, server: LabServer, path: Path, timeout: float = 60.0) -> str:
    """Copy notebook ``path`` into the server's root, open it, wait for an idle kernel.

    Returns the notebook's path relative to the server root (its file name).
    """
    path = Path(path)
    _check_kernelspec(path)
    target = server.root_dir / path.name
    if path.resolve() != target.resolve():
        shutil.copyfile(path, target)
    # `reset`: start from an empty workspace, so tabs of earlier tests do not reopen.
    page.goto(server.url(f"lab/tree/{path.name}?reset"))
    page.wait_for_function(
        """(name) => {
            const w = window.jupyterapp?.shell?.currentWidget;
            return w?.context?.path === name && w.content?.model != null
                && w.sessionContext?.session?.kernel != null;
        }""",
        arg=path.name,
        timeout=timeout * 1000,
    )
    wait_idle(page, timeout)
    return path.name


def wait_idle(page: Page, timeout: float = 60.0) -> None:
    """Wait until the status bar says ``| Idle`` and no cell prompt shows ``[*]``."""
    page.get_by_text(IDLE_TEXT).first.wait_for(timeout=timeout * 1000)
    page.wait_for_function(
        """() => {
            const node = window.jupyterapp?.shell?.currentWidget?.node ?? document;
            return !Array.from(node.querySelectorAll('.jp-InputPrompt'))
                .some(e => e.textContent.includes('[*]'));
        }""",
        timeout=timeout * 1000,
    )
    page.get_by_text(IDLE_TEXT).first.wait_for(timeout=timeout * 1000)


def run_all(page: Page, timeout: float = 300.0) -> None:
    """Run all cells of the current notebook and wait until the kernel is idle again."""
    page.evaluate(
        """async (ms) => {
            const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
            const late = new Promise((_, reject) => setTimeout(
                () => reject(new Error('run-all-cells did not finish in ' + ms + ' ms')), ms));
            await Promise.race([run, late]);
        }""",
        timeout * 1000,
    )
    wait_idle(page, timeout)


def run_code(page: Page, code: str, timeout: float = 60.0) -> str:
    """Run ``code`` in the current notebook's kernel; return its stdout and results.

    The code runs through the kernel's own connection in the page (not as a new
    cell), so the notebook is left as it was. Raises ``AssertionError`` with the
    traceback when the code raises.
    """
    out = page.evaluate(
        """async ([code, ms]) => {
            const panel = window.jupyterapp.shell.currentWidget;
            if (!panel || !panel.sessionContext) {
                return {error: 'the current JupyterLab widget is not a notebook'};
            }
            const kernel = panel.sessionContext.session?.kernel;
            if (!kernel) { return {error: 'the notebook has no kernel'}; }
            const res = {stdout: '', stderr: '', results: [], error: null};
            const future = kernel.requestExecute({code: code, store_history: false});
            future.onIOPub = (msg) => {
                const t = msg.header.msg_type, c = msg.content;
                if (t === 'stream') { res[c.name] += c.text; }
                else if (t === 'execute_result' || t === 'display_data') {
                    res.results.push(c.data['text/plain'] ?? '');
                } else if (t === 'error') {
                    res.error = c.traceback.join('\\n') || (c.ename + ': ' + c.evalue);
                }
            };
            const late = new Promise((_, reject) => setTimeout(
                () => reject(new Error('code did not finish in ' + ms + ' ms')), ms));
            await Promise.race([future.done, late]);
            return res;
        }""",
        [code, timeout * 1000],
    )
    if out.get("error"):
        raise AssertionError(
            f"kernel code failed:\n{code}\n---\n{_ANSI.sub('', out['error'])}"
        )
    results = "".join(r if r.endswith("\n") else r + "\n" for r in out["results"])
    return out["stdout"] + results


def kernel_text(page: Page, expr: str) -> str:
    """What ``print(expr)`` prints in the current notebook's kernel, stripped."""
    return run_code(page, f"print({expr})").strip()


def kernel_json(page: Page, expr: str) -> Any:
    """``expr``'s value in the current notebook's kernel, through JSON."""
    return json.loads(kernel_text(page, f"__import__('json').dumps({expr})").splitlines()[-1])


_BOKEH_LENGTHS_JS = """(name) => {
    const B = window.Bokeh;
    if (!B || !B.documents) { return null; }
    const lengths = [];
    for (const doc of B.documents) {
        const m = doc.get_model_by_name(name);
        if (m == null) { continue; }
        if (typeof m.get_length === 'function') { lengths.push(m.get_length() ?? 0); }
        else { lengths.push(-1); }
    }
    return lengths;
}"""


def bokeh_source_lengths(page: Page, name: str) -> list[int]:
    """Return the row count of the Bokeh model named ``name`` in each page document.

    One entry per Bokeh document that holds such a model (each ``BokehModel``
    widget view has its own document); ``[]`` when none does. Raises
    ``AssertionError`` when BokehJS is not in the page or the model is no data source.
    """
    lengths = page.evaluate(_BOKEH_LENGTHS_JS, name)
    if lengths is None:
        raise AssertionError(
            "BokehJS is not loaded in the page (window.Bokeh.documents is missing); "
            "call bokeh.io.output_notebook(resources=INLINE) before showing a chart"
        )
    if -1 in lengths:
        raise AssertionError(f"the Bokeh model named {name!r} is not a ColumnDataSource")
    return [int(n) for n in lengths]


def bokeh_source_length(page: Page, name: str) -> int:
    """Return the row count of the one Bokeh ColumnDataSource named ``name``."""
    lengths = bokeh_source_lengths(page, name)
    if len(lengths) != 1:
        raise AssertionError(
            f"expected one Bokeh document holding a source named {name!r}, "
            f"found {len(lengths)} (lengths {lengths})"
        )
    return lengths[0]


def wait_for_bokeh_source_length(
    page: Page, name: str, rows: int, timeout: float = 30.0
) -> None:
    """Wait until the source named ``name`` has ``rows`` rows in the page."""
    try:
        page.wait_for_function(
            f"(name) => {{ const l = ({_BOKEH_LENGTHS_JS})(name); "
            f"return l !== null && l.length === 1 && l[0] === {int(rows)}; }}",
            arg=name,
            timeout=timeout * 1000,
        )
    except Error as exc:
        raise AssertionError(
            f"Bokeh source {name!r} did not reach {rows} rows in {timeout:.0f} s; "
            f"the page has {bokeh_source_lengths(page, name)}"
        ) from exc


def error_outputs(page: Page) -> list[str]:
    """Return the text of every stderr or error output shown in the current notebook,
    and of every error output its model holds (exception name and value)."""
    found = page.evaluate(
        """(selector) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const model = panel?.content?.model;
            if (!model) { return []; }
            const found = Array.from(panel.node.querySelectorAll(selector))
                .map(e => e.innerText.trim());
            for (const cell of model.cells) {
                if (cell.type !== 'code') { continue; }
                for (const o of cell.outputs.toJSON()) {
                    if (o.output_type === 'error') {
                        found.push('error output: ' + o.ename + ': ' + o.evalue);
                    }
                }
            }
            return found;
        }""",
        STDERR_SELECTOR,
    )
    return [str(text) for text in found]


def assert_clean(page: Page, console: ConsoleLog, allow: Sequence[str] = ()) -> None:
    """Assert no loading placeholder, failed widget, error output or console error.

    ``allow`` holds regular expressions; a console error or output matching one
    of them is tolerated.
    """
    problems: list[str] = []
    for text in LOADING_TEXTS + FAILED_WIDGET_TEXTS:
        count = page.get_by_text(text).count()
        if count:
            problems.append(f"{count} element(s) still show {text!r}")
    for text in error_outputs(page) + console.errors:
        if not any(re.search(pat, text) for pat in allow):
            problems.append(text[:2000])
    if problems:
        raise AssertionError("the notebook page is not clean:\n- " + "\n- ".join(problems))


def save_screenshot(page: Page, name: str) -> Path:
    """Save a screenshot of the page as ``artifacts/<name>`` and return its path."""
    path = artifact_path(name if name.endswith(".png") else f"{name}.png")
    page.screenshot(path=str(path))
    return path


_TEXT_SPACING_JS = """(selector) => {
    let el = document.querySelector(selector + ' .widget-html-content');
    while (el.firstElementChild && el.firstElementChild.textContent === el.textContent) {
        el = el.firstElementChild;
    }
    const style = getComputedStyle(el);
    const lineHeight = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
    return {text: el.textContent, line_height: lineHeight, font_size: parseFloat(style.fontSize),
            lines: Math.round(el.getBoundingClientRect().height / lineHeight)};
}"""


def text_spacing(page: Page, selector: str) -> dict[str, Any]:
    """The text of the first HTML widget under ``selector``, read from the innermost
    element that holds all of it: ``text``, ``line_height`` and ``font_size`` (px), and
    how many ``lines`` it takes."""
    return page.evaluate(_TEXT_SPACING_JS, selector)
