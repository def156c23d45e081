"""``tabular``: NAS-Bench-201 lookups, simulated cost, budget, errors and throughput."""

from __future__ import annotations

import csv
import os
import random
import time

import pandas as pd
import pytest

from nasbench_ui import spaces
from nasbench_ui.estimators import BudgetExhausted, TabularEstimator, TrialFailed, create
from nasbench_ui.estimators.tabular import load_table
from nasbench_ui.tables.digits import digits_estimator_options
from nasbench_ui.trust import UntrustedError, trust, untrust_all, untrusted

NB201_COST = {"train_time_per_epoch_s": 12, "valid_time_s": 1}


@pytest.fixture(scope="module")
def nb201():
    return spaces.nb201()


@pytest.fixture(scope="module")
def rows(nb201_csv):
    """The table read with the csv module, independently of the estimator."""
    with open(nb201_csv, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def est(nb201_csv):
    return create("tabular", {"table": str(nb201_csv), "cost": NB201_COST,
                              "extra_metrics": ["test_acc_200ep"]})


def _ctx(make_ctx, space, left=None):
    return make_ctx(space, None, budget_left_fn=(lambda: left))


def test_looks_up_the_right_row_and_charges_its_cost(est, rows, nb201, make_ctx):
    for row in (rows[1], rows[7777], rows[-1]):
        arch = spaces.nb201_arch(row["arch_str"])
        e = est.estimate(arch, _ctx(make_ctx, nb201))
        cost = 12 * float(row["train_time_per_epoch_s"]) + float(row["valid_time_s"])
        assert e.value == float(row["valid_acc_12ep"])
        assert e.metrics == {"valid_acc_12ep": e.value, "cost_s": pytest.approx(cost),
                             "test_acc_200ep": float(row["test_acc_200ep"])}
        assert e.model is None
    assert len(est) == len(rows) == 15625


def test_repeated_query_is_charged_again(est, rows, nb201, make_ctx):
    arch = spaces.nb201_arch(rows[3]["arch_str"])
    spent = 0.0
    for _ in range(3):
        spent += est.estimate(arch, _ctx(make_ctx, nb201)).metrics["cost_s"]
    one = 12 * float(rows[3]["train_time_per_epoch_s"]) + float(rows[3]["valid_time_s"])
    assert spent == pytest.approx(3 * one) and one > 0


def test_cost_prices_a_query_without_making_it(est, rows, nb201):
    arch = spaces.nb201_arch(rows[9]["arch_str"])
    one = 12 * float(rows[9]["train_time_per_epoch_s"]) + float(rows[9]["valid_time_s"])
    assert est.cost(arch, nb201) == pytest.approx(one)
    assert est.cost({"1<-0": "conv_7x7"}, nb201) is None  # not an nb201 architecture
    tiny = TabularEstimator(frame=pd.DataFrame({"arch_str": ["x"], "valid_acc_12ep": [1.0]}))
    assert tiny.cost(arch, nb201) is None  # not in that table
    assert TabularEstimator(frame=pd.DataFrame({"arch_str": [rows[9]["arch_str"]],
                                                "valid_acc_12ep": [1.0]})).cost(arch, nb201) == 0


def test_budget_exhausted_when_the_query_costs_more_than_what_is_left(est, rows, nb201, make_ctx):
    arch = spaces.nb201_arch(rows[5]["arch_str"])
    cost = est.estimate(arch, _ctx(make_ctx, nb201)).metrics["cost_s"]
    with pytest.raises(BudgetExhausted, match=r"costs [\d.]+ simulated seconds but only "
                                              r"[\d.]+ are left") as info:
        est.estimate(arch, _ctx(make_ctx, nb201, left=cost - 0.01))
    assert info.value.cost == pytest.approx(cost) and info.value.left == pytest.approx(cost - 0.01)
    assert not isinstance(info.value, TrialFailed)  # the experiment must not record a failure
    assert est.estimate(arch, _ctx(make_ctx, nb201, left=cost)).metrics["cost_s"] == cost


def test_scale_and_single_cost_column(nb201_csv, rows, nb201, make_ctx):
    e = create("tabular", {"table": str(nb201_csv), "cost": "valid_time_s", "scale": 0.01,
                           "metric": "test_acc_200ep"})
    got = e.estimate(spaces.nb201_arch(rows[0]["arch_str"]), _ctx(make_ctx, nb201))
    assert got.value == pytest.approx(float(rows[0]["test_acc_200ep"]) / 100)
    assert got.metrics["cost_s"] == pytest.approx(float(rows[0]["valid_time_s"]))
    assert e.cost_weights == {"valid_time_s": 1.0}


def test_missing_columns_are_named_with_the_count_not_the_header(nb201_csv, rows):
    with pytest.raises(ValueError, match=r"has no columns 'valid_acc_13ep' \(metric\), 'gpu_s' "
                                         r"\(cost\); it has (\d+) columns") as info:
        TabularEstimator(table=str(nb201_csv), metric="valid_acc_13ep", cost={"gpu_s": 1})
    assert f"it has {len(rows[0])} columns" in str(info.value)
    assert "valid_acc_12ep" not in str(info.value)  # a column the user did not ask for


def test_frame_columns_are_listed(nb201_csv):
    df = pd.DataFrame({"arch_str": ["a"], "valid_acc_12ep": [1.0]})
    with pytest.raises(ValueError, match=r"column\(s\) 'gpu_s' \(cost\) not in the frame given; "
                                         r"its 2 columns are \['arch_str', 'valid_acc_12ep'\]"):
        TabularEstimator(frame=df, cost={"gpu_s": 1})


def test_bad_path_is_named(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(ValueError, match=r"cannot read the table '.*nope\.csv'"):
        create("tabular", {"table": str(missing)})
    with pytest.raises(ValueError, match=r"is a folder, not a file"):
        TabularEstimator(table=str(tmp_path))
    with pytest.raises(ValueError, match=r"set its table option to a CSV file"):
        create("tabular", {})


def test_unknown_architecture_fails_the_trial(nb201, make_ctx):
    a = nb201.sample(random.Random(0))
    df = pd.DataFrame({"arch_str": ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"],
                       "valid_acc_12ep": [10.0]})
    if nb201.key(a) == df.arch_str[0]:
        a = nb201.sample(random.Random(1))
    with pytest.raises(TrialFailed, match=r"architecture '\|.*\|' is not in the 'arch_str' "
                                          r"column of the frame given \(1 rows\)"):
        TabularEstimator(frame=df).estimate(a, _ctx(make_ctx, nb201))


def test_frame_checks(nb201):
    df = pd.DataFrame({"arch_str": ["a", "a"], "valid_acc_12ep": [1.0, 2.0], "t": ["x", "y"]})
    with pytest.raises(ValueError, match=r"repeats 1 value\(s\), e.g. 'a'"):
        TabularEstimator(frame=df)
    with pytest.raises(ValueError, match=r"column 't' of the frame given must hold numbers"):
        TabularEstimator(frame=df.iloc[:1], cost={"t": 1})
    with pytest.raises(ValueError, match=r"cost weight of 't' must be a finite number"):
        TabularEstimator(frame=df.iloc[:1], cost={"t": "heavy"})
    with pytest.raises(ValueError, match="not both"):
        TabularEstimator(table="x.csv", frame=df)


def test_missing_value_in_the_table_fails_the_trial(nb201, make_ctx):
    a = nb201.sample(random.Random(2))
    df = pd.DataFrame({"arch_str": [nb201.key(a)], "valid_acc_12ep": [float("nan")]})
    with pytest.raises(TrialFailed, match=r"has no 'valid_acc_12ep' for"):
        TabularEstimator(frame=df).estimate(a, _ctx(make_ctx, nb201))


def test_csv_is_read_once_per_modification(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("arch_str,valid_acc_12ep\na,1.0\n")
    first = load_table(p)
    assert load_table(str(p)) is first
    p.write_text("arch_str,valid_acc_12ep\na,2.0\nb,3.0\n")
    os.utime(p, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    again = load_table(p)
    assert again is not first and again["valid_acc_12ep"].tolist() == [2.0, 3.0]


def test_an_estimate_is_a_lookup_of_the_same_small_work_at_any_count(est, nb201, make_ctx):
    """An estimate looks its row up in an index built once (a dict of the table's keys):
    the Python lines it runs do not grow with the queries made, and none of them is
    pandas' (a frame filtered at each query). Counted, not timed: the rate (about 2,000
    or more a second) was asserted here on wall time."""
    from helpers.work import lines_run

    rng = random.Random(0)
    archs = [nb201.sample(rng) for _ in range(2_000)]
    ctx = _ctx(make_ctx, nb201, left=1e12)
    few = lines_run(lambda: [est.estimate(a, ctx) for a in archs[:200]]) / 200
    many = lines_run(lambda: [est.estimate(a, ctx) for a in archs]) / 2_000
    # a lookup: about 120 lines (the key, the row, the metrics), never a walk over the
    # table's 15,625 rows, and no more at the 2,000th query than at the first
    assert few < 400 and many <= 1.05 * few, (few, many)
    files: set[str] = set()

    def spy(frame, event, arg):  # the files whose code an estimate runs
        files.add(frame.f_code.co_filename)

    import sys

    sys.setprofile(spy)
    try:
        est.estimate(archs[0], ctx)
    finally:
        sys.setprofile(None)
    assert not [f for f in files if "/pandas/" in f], sorted(files)


# ------------------------------------------------ tables only from places the user names

SECRET = "hunter2-TOKEN-5f1e"


@pytest.fixture
def no_trust():
    untrust_all()
    yield
    untrust_all()


def _secret_csv(folder, name="t.csv"):
    p = folder / name
    p.write_text(f"{SECRET},valid_acc_12ep\n{SECRET}-row,1.0\n")
    return p


def test_proc_self_environ_is_refused_without_echoing_it(monkeypatch):
    monkeypatch.setenv("NBUI_TEST_SECRET", SECRET)
    for table in ("/proc/self/environ", "/proc/self/cmdline"):
        with pytest.raises(ValueError, match=r"is under /proc, not a data file") as info:
            create("tabular", {"table": table})
        assert SECRET not in str(info.value) and "PATH=" not in str(info.value)


def test_a_csv_symlink_to_proc_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NBUI_TEST_SECRET", SECRET)
    link = tmp_path / "env.csv"
    link.symlink_to("/proc/self/environ")
    with pytest.raises(ValueError, match=r"is under /proc") as info:
        TabularEstimator(table=str(link))
    assert SECRET not in str(info.value)


def test_a_fifo_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    """Opening a FIFO with no writer would block: the check refuses it from its stat,
    and nothing opens it (os.open and open are watched: an open of it is noted and
    refused, never made). The check runs on a thread joined for 30 s, a guard against a
    hang only (an open that blocked in C)."""
    import builtins
    import threading

    fifo = tmp_path / "t.csv"
    os.mkfifo(fifo)
    opened: list[str] = []

    def watched(real, name: str):
        def opener(file, *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and \
                    os.path.realpath(file) == os.path.realpath(fifo):
                opened.append(name)
                raise AssertionError(f"the FIFO was opened ({name})")
            return real(file, *args, **kwargs)
        return opener

    monkeypatch.setattr(os, "open", watched(os.open, "os.open"))
    monkeypatch.setattr(builtins, "open", watched(builtins.open, "open"))
    raised: list[BaseException] = []

    def check() -> None:
        try:
            TabularEstimator(table=str(fifo))
        except BaseException as err:  # noqa: BLE001 - looked at below
            raised.append(err)

    checker = threading.Thread(target=check, daemon=True)
    checker.start()
    checker.join(30)
    monkeypatch.undo()
    if checker.is_alive():  # blocked in an open: give it a writer, so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not checker.is_alive() and opened == []
    [err] = raised
    assert isinstance(err, ValueError)
    assert "is not a regular file (a pipe, socket or device)" in str(err)


def test_a_device_is_refused():
    with pytest.raises(ValueError, match=r"is under /dev, not a data file"):
        TabularEstimator(table="/dev/zero")


def test_other_suffixes_are_refused(tmp_path):
    txt = tmp_path / "t.txt"
    txt.write_text("arch_str,valid_acc_12ep\na,1.0\n")
    with pytest.raises(ValueError, match=r"is not a CSV file \(its name 't.txt' does not end "
                                         r"in .csv\)"):
        TabularEstimator(table=str(txt))
    link = tmp_path / "t.csv"  # a .csv name that points at another kind of file
    link.symlink_to(txt)
    with pytest.raises(ValueError, match=r"its name 't.txt' does not end in .csv"):
        TabularEstimator(table=str(link))
    upper = tmp_path / "T.CSV"
    upper.write_text("arch_str,valid_acc_12ep\na,1.0\n")
    assert len(TabularEstimator(table=str(upper))) == 1  # the suffix is case-insensitive


def test_a_missing_key_column_names_no_content(tmp_path):
    p = _secret_csv(tmp_path)
    with pytest.raises(ValueError, match=r"has no column 'arch_str' \(key\); it has 2 "
                                         r"columns") as info:
        TabularEstimator(table=str(p))
    assert SECRET not in str(info.value)


def test_parse_errors_and_repeated_keys_quote_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"arch_str,valid_acc_12ep\n" + SECRET.encode() + b"\xff\xfe,1\n")
    with pytest.raises(ValueError, match=r"cannot parse the table .*bad\.csv' as CSV "
                                         r"\(\w+\)") as info:
        TabularEstimator(table=str(bad))
    assert SECRET not in str(info.value)
    dup = tmp_path / "dup.csv"
    dup.write_text(f"arch_str,valid_acc_12ep\n{SECRET},1\n{SECRET},2\n")
    with pytest.raises(ValueError, match=r"repeats 1 value\(s\); keep one row") as info:
        TabularEstimator(table=str(dup))
    assert SECRET not in str(info.value)


def test_a_table_named_by_a_stored_file_needs_trust(tmp_path, no_trust, nb201, make_ctx):
    p = tmp_path / "tables" / "t.csv"
    p.parent.mkdir()
    a = nb201.sample(random.Random(0))
    p.write_text(f"arch_str,valid_acc_12ep\n{nb201.key(a)},91.0\n")
    with (untrusted("the stored experiment 'x' in runs.db"),
          pytest.raises(UntrustedError) as info):
        create("tabular", {"table": str(p)})
    msg = str(info.value)
    assert isinstance(info.value, PermissionError) and "\n" not in msg
    assert "the stored experiment 'x' in runs.db" in msg and str(p) in msg
    assert f"nb.trust({str(p.parent)!r})" in msg and f"--trust {p.parent}" in msg
    trust(p.parent)
    with untrusted("the stored experiment 'x' in runs.db"):
        est = create("tabular", {"table": str(p)})
    assert est.estimate(a, _ctx(make_ctx, nb201)).value == 91.0


def test_untrusted_refuses_before_looking_at_the_file(tmp_path, no_trust):
    with untrusted("the imported config"):
        with pytest.raises(UntrustedError, match="the imported config"):
            TabularEstimator(table="/proc/self/environ")
        with pytest.raises(UntrustedError):
            TabularEstimator(table=str(tmp_path / "missing.csv"))


def test_the_shipped_table_needs_no_trust(no_trust):
    with untrusted("the imported config"):
        by_name = TabularEstimator(table="digits")
        by_path = create("tabular", digits_estimator_options())
    assert len(by_name) == len(by_path) > 1000


def test_estimators_on_one_unchanged_table_file_share_its_index(tmp_path, nb201, make_ctx):
    """The index is built once per table file and options; a changed file, other options
    or a caller's frame get their own (a frame may change between experiments)."""
    path = tmp_path / "t.csv"
    path.write_text("arch_str,valid_acc_12ep,c\na,0.5,1\nb,0.75,2\n")
    a = TabularEstimator(table=str(path), cost="c")
    b = TabularEstimator(table=str(path), cost="c")
    assert a._index is b._index and a._index["b"] == (0.75, 2.0, ())
    other = TabularEstimator(table=str(path), cost="c", scale=100)
    assert other._index is not a._index and other._index["b"][0] == 75.0
    path.write_text("arch_str,valid_acc_12ep,c\na,0.5,1\nb,0.25,3\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))  # a new mtime, surely
    changed = TabularEstimator(table=str(path), cost="c")
    assert changed._index is not a._index and changed._index["b"] == (0.25, 3.0, ())
    frame = pd.DataFrame({"arch_str": ["a"], "valid_acc_12ep": [0.5]})
    f1, f2 = TabularEstimator(frame=frame), TabularEstimator(frame=frame)
    assert f1._index is not f2._index


def test_a_missing_table_says_which_option_to_set():
    """The workbench shows a "table" option and no "frame": the message names the option
    a person can set there (and the shipped digits table)."""
    with pytest.raises(ValueError, match=r"set its table option to a CSV file, or to 'digits'"):
        TabularEstimator()
    with pytest.raises(ValueError, match="not both"):
        TabularEstimator(table="x.csv", frame=pd.DataFrame({"arch_str": []}))


def test_the_digits_table_refuses_a_space_it_does_not_hold(tmp_path):
    """The shipped table measured digits_cell's 1,296 cells: an experiment on nb201 with it
    is refused at once, saying which operations it lacks, and nothing is written (a
    teacher's nb201 search with table 'digits' failed its first ten trials)."""
    import nasbench_ui as nb

    db = tmp_path / "runs.db"
    with pytest.raises(ValueError, match=r"holds the 1,296 cells of the digits_cell preset only.*"
                                         r"edge 1<-0: nor_conv_1x1"):
        nb.Experiment("nb201", estimator="tabular", estimator_options={"table": "digits"},
                      storage=str(db))
    assert not db.exists()
    with pytest.raises(ValueError, match="digits_cell preset only"):
        create("tabular", {"table": "digits"}).check_space(spaces.keras_cnn())
    # digits_cell, and digits_cell with operations dropped, are held
    cell = nb.spaces.digits_cell().to_dict()
    create("tabular", {"table": "digits"}).check_space(nb.spaces.digits_cell())
    cell["edges"][0]["ops"] = cell["edges"][0]["ops"][:2]
    create("tabular", {"table": "digits"}).check_space(nb.SearchSpace.from_dict(cell))


def test_a_table_given_is_not_refused_for_its_space(nb201_csv, nb201):
    """A CSV or a frame is the user's table: a cell it lacks fails that trial only."""
    TabularEstimator(table=nb201_csv, cost=NB201_COST).check_space(nb201)
    TabularEstimator(frame=pd.DataFrame({"arch_str": ["x"], "valid_acc_12ep": [1.0]})
                     ).check_space(spaces.keras_cnn())
