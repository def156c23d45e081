"""The workshop's exercises: Run All reveals no solution, and every check tells right from wrong.

One execution of ``notebooks/04_workshop.ipynb`` with its small parameters. After each
exercise's answer cell the test inserts two cells (tagged ``test-inserted``): the
solution taken from the collapsed markdown below the exercise, with its final
``check_…()`` recorded, and the same check called with a wrong answer. The notebook's
own cells are then read as Run All left them.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from helpers import REPO_ROOT
from helpers.notebooks import SMALL, inject_parameters, outputs_text
from nbclient import NotebookClient

pytestmark = pytest.mark.notebooks

NAME = "04_workshop.ipynb"
SOLUTION = re.compile(r"<summary><b>Solution (\d+)</b>.*?```python\n(.*?)```", re.S)
CHECK = re.compile(r"^(check_\w+)\((.*)\)\s*$")
INSERTED = "test-inserted"

#: a wrong answer for each exercise, as the check call to make (names from the notebook)
WRONG = {
    1: "check_space_size(space.size())",
    2: "check_seeds(results, next(s for s in results.strategy.unique() if s != winner))",
    3: "check_estimator_choice(comparison[~comparison.reference].kendall_tau.idxmin(), "
       "comparison)",
    4: "check_skip_counts({n: c + 1 for n, c in counts.items()}, darts)",
    5: "check_limit(table.valid_acc.max(), 0.0, table, limit=3_000)",
}


def _read() -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / "notebooks" / NAME, as_version=4)


def _solutions(nb: nbformat.NotebookNode) -> dict[int, tuple[int, str]]:
    """{exercise: (index of its markdown cell, solution code)}."""
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for m in SOLUTION.finditer(cell.source):
                found[int(m.group(1))] = (i, m.group(2))
    return found


def _answer_cell(nb: nbformat.NotebookNode, md_index: int) -> int:
    i = md_index - 1
    assert nb.cells[i].cell_type == "code" and "check_" in nb.cells[i].source, \
        f"the cell above solution markdown {md_index} is not an answer cell with a check"
    return i


def test_solutions_are_collapsed_markdown_that_no_code_cell_holds():
    nb = _read()
    sols = _solutions(nb)
    assert sorted(sols) == [1, 2, 3, 4, 5]
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for n, (i, src) in sols.items():
        assert nb.cells[i].source.lstrip().startswith("<details>"), f"solution {n} not collapsed"
        last = src.strip().splitlines()[-1]
        assert CHECK.match(last), f"solution {n} must end with its check call, got {last!r}"
        assert src.strip() not in code, f"solution {n} is in a code cell: Run All would run it"
        _answer_cell(nb, i)
    assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)


def _question_index(nb: nbformat.NotebookNode) -> int:
    """The markdown cell that asks how long training every cell of the table would take."""
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
             and "How long would all 1,296 take?" in " ".join(c.source.split())]
    assert len(found) == 1, found
    return found[0]


def test_the_class_question_comes_before_its_answer():
    """Part 1 asks "How long would all 1,296 take?": no cell above it may compute the
    total (the setup cell printed "training them all once took 24 CPU minutes" before
    the question); the cell right after it does, for after the class has guessed."""
    nb = _read()
    q = _question_index(nb)
    above = [c.source for c in nb.cells[:q] if c.cell_type == "code"]
    assert not any("cost_s.sum()" in src or "minutes" in src for src in above), above
    after = nb.cells[q + 1]
    assert after.cell_type == "code" and "cost_s.sum()" in after.source
    assert "check_" not in after.source


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = _read()
    sols = _solutions(nb)
    inserts = []
    for n, (md_index, src) in sols.items():
        lines = src.strip().splitlines()
        check = lines[-1]
        body = "\n".join(lines[:-1])
        right = f"{body}\n_verdicts[{n}] = {{'right': {check}}}"
        wrong = f"_verdicts[{n}]['wrong'] = {WRONG[n]}"
        inserts.append((_answer_cell(nb, md_index), [right, wrong]))
    for index, sources in sorted(inserts, reverse=True):
        for src in reversed(sources):
            nb.cells.insert(index + 1, nbformat.v4.new_code_cell(
                src, metadata={"tags": [INSERTED]}))
    nb.cells.insert(0, nbformat.v4.new_code_cell("_verdicts = {}", metadata={"tags": [INSERTED]}))
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nprint(_json.dumps({n: {k: [v.ok, v.message] for k, v in d.items()}"
        " for n, d in _verdicts.items()}))", metadata={"tags": [INSERTED]}))
    inject_parameters(nb, SMALL[NAME], name=NAME)
    work = tmp_path_factory.mktemp("workshop")
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(work)}}).execute()
    verdicts = json.loads(outputs_text(nb.cells[-1]))
    return nb, {int(k): v for k, v in verdicts.items()}


def test_run_all_reveals_no_solution(executed):
    nb, _ = executed
    own = [c for c in nb.cells if c.cell_type == "code"
           and INSERTED not in c.metadata.get("tags", [])]
    answers = [c for c in own if re.search(r"^check_\w+\(", c.source, re.M)]
    assert len(answers) == 5
    for cell in answers:
        text = outputs_text(cell)
        assert "Not answered yet" in text, f"answer cell shows {text!r}:\n{cell.source}"
    for cell in own:
        assert "✓ Right" not in outputs_text(cell), f"a solution's verdict shows:\n{cell.source}"


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_each_check_accepts_the_solution_and_rejects_a_wrong_answer(executed, n):
    _, verdicts = executed
    right_ok, right_msg = verdicts[n]["right"]
    wrong_ok, wrong_msg = verdicts[n]["wrong"]
    assert right_ok is True, f"exercise {n}: the solution was not accepted: {right_msg}"
    assert wrong_ok is False, f"exercise {n}: a wrong answer was not rejected: {wrong_msg}"
    assert wrong_msg and right_msg != wrong_msg


def test_run_all_prints_the_total_training_time_only_after_the_question(executed):
    nb, _ = executed
    q = _question_index(nb)
    for cell in nb.cells[:q]:
        if cell.cell_type == "code":
            assert "CPU minutes" not in outputs_text(cell), cell.source
    assert re.search(r"training all 1,296 cells once took \d+ CPU minutes",
                     outputs_text(nb.cells[q + 1]))


def test_the_darts_table_shows_each_edges_operation_whole(executed):
    """Exercise 4 counts the edges of each derived cell that chose skip_connect: the table
    above it shows one column per edge (``0 → 1``) holding that edge's operation, whole.
    It showed the cell as one key string, which pandas cut at 50 characters
    (``|skip_connect~0|+|skip_connect~0|skip_connect~…``): two of six edges readable."""
    import nasbench_ui as nb

    nb_, _ = executed
    cell = next(c for c in nb_.cells if c.source.startswith("teaching.wait(darts"))
    html = "".join(out.data.get("text/html", "") for out in cell.outputs
                   if out.output_type == "execute_result")
    space = nb.spaces.digits_cell()
    for d in space.decisions:
        assert f"<th>{d.edge.src} → {d.edge.dst}</th>" in html, (d.label, html)
    rows = re.findall(r"<tr>\s*<th>(\d+)</th>((?:\s*<td>[^<]*</td>)+)", html)
    assert len(rows) == 2, html  # DARTS_EPOCHS = 2, both finished within WAIT_S
    ops = {op for d in space.decisions for op in d.edge.ops}
    for _, tds in rows:
        cells = re.findall(r"<td>([^<]*)</td>", tds)
        assert len(cells) == len(space.decisions) + 1
        assert set(cells[:-1]) <= ops, cells  # each an operation, not a cut string
    assert "..." not in html and "…" not in html
