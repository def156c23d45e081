"""The peer benchmark: a 2-run smoke test of ``benchmarks/peers.py`` and its pieces."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

import nasbench_ui as nb

if str(REPO_ROOT) not in sys.path:  # spawned workers import benchmarks.peers by name
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import peer_report as report  # noqa: E402
from benchmarks import peers  # noqa: E402

pytest.importorskip("optuna")
pytest.importorskip("scipy")


@pytest.mark.slow
def test_two_runs_give_every_field(nb201_csv: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "peers.json"
    entries = ["random", "evolution", "optuna:tpe", "plain:tpe", "plain:random"]
    summary = peers.main(["--runs", "2", "--seconds", "400,900", "--signal", "cifar10,cifar100",
                          "--strategies", ",".join(entries), "--table", str(nb201_csv),
                          "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(summary))
    assert summary["protocol"]["budgets_s"] == [400.0, 900.0]
    assert summary["protocol"]["column_sets"]["cifar100"] == {
        "signal": "cifar100_valid_acc_12ep", "score": "cifar100_test_acc_12ep"}
    for cs, (low, high) in {"cifar10": (80, 95), "cifar100": (40, 75)}.items():
        cells = summary["cells"][cs]
        assert set(cells) == {"400", "900"}
        for budget, cell in cells.items():
            assert set(cell) == set(entries)
            for e, s in cell.items():
                assert s["runs"] == 2 and len(s["score_per_run"]) == 2
                assert low < s["score_mean"] < high, (cs, budget, e)
                assert s["score_std"] >= 0
                # queries cost 34..213 simulated seconds each
                assert float(budget) / 213 - 1 <= s["queries_mean"] <= float(budget) / 34
                assert s["wall_s_per_run"] > 0 and s["cpu_s_per_run"] > 0
                assert s["best_peer"] == ("random" if e.startswith("plain") else
                                          max((x for x in cell if x.startswith("plain")),
                                              key=lambda x: cell[x]["score_mean"]))
                assert s["p_mann_whitney"] is None or 0 <= s["p_mann_whitney"] <= 1
            # more budget, never fewer queries
            assert cells["900"][e]["queries_mean"] >= cells["400"][e]["queries_mean"]
        # the optuna strategy asks what plain Optuna asks: same seeds, same picks
        assert cells["900"]["optuna:tpe"]["score_per_run"] == \
            cells["900"]["plain:tpe"]["score_per_run"]
        curve = summary["regret"][cs]["evolution"]
        assert curve["time_s"][-1] == 900 and min(curve["regret"]) >= 0
    text = capsys.readouterr().out
    assert summary["markdown"]["cifar10"] in text
    assert "| this project, regularized evolution | " in summary["markdown"]["cifar10"]
    assert "cifar10 400 s" in text and "cifar10 900 s" in text


def test_arch_str_is_the_space_key() -> None:
    space = nb.spaces.nb201()
    rng = random.Random(0)
    for _ in range(20):
        a = space.sample(rng)
        assert peers.arch_str(a) == space.key(a)


def test_pick_is_the_first_best_signal_within_the_budget() -> None:
    queries = [[100, 80.0, 90.0], [200, 85.0, 91.0], [300, 85.0, 92.0], [450, 90.0, 93.0]]
    assert peers.pick(queries, 50) is None
    assert peers.pick(queries, 300) == {"score": 91.0, "signal": 85.0, "queries": 3}
    assert peers.pick(queries, 1000) == {"score": 93.0, "signal": 90.0, "queries": 4}


def test_bad_arguments_are_named(nb201_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        peers.main(["--table", str(nb201_csv), "--signal", "cifar10", "--score", "a,b"])
    assert "--score names 2 column(s) but --signal 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        peers.main(["--table", str(nb201_csv), "--signal", "cifar1000"])
    assert "is a column, not a column set" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        peers.main(["--table", str(nb201_csv), "--signal", "valid_acc", "--score", "x"])
    assert "--signal column 'valid_acc' is not in the table; its columns are" in \
        capsys.readouterr().err
    with pytest.raises(SystemExit):
        peers.main(["--table", str(nb201_csv), "--strategies", "plain:cmaes"])
    assert "'plain:cmaes': the sampler after plain: must be one of" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        peers.main(["--table", str(nb201_csv), "--seconds", "0,100"])
    assert "--seconds must be positive" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        peers.main(["--table", str(nb201_csv), "--strategies", "bananas,plain:tpe",
                    "--options", '{"plain:tpe": {}}'])
    assert "--options must be a JSON object {entry: {option: value}}" in capsys.readouterr().err


@pytest.mark.slow
def test_options_reach_this_projects_entry_and_name_it(nb201_csv: Path) -> None:
    summary = peers.main(["--runs", "1", "--seconds", "600", "--strategies", "bananas,random",
                          "--options", '{"bananas": {"prior": "params", "initial": 3}}',
                          "--table", str(nb201_csv), "--out", "", "--processes", "1"])
    assert summary["protocol"]["entry_options"] == {"bananas": {"prior": "params", "initial": 3}}
    assert summary["cells"]["cifar10"]["600"]["bananas"]["label"].endswith(
        '{"initial": 3, "prior": "params"}')
    with pytest.raises(ValueError, match="prior"):
        peers.main(["--runs", "1", "--strategies", "bananas", "--table", str(nb201_csv),
                    "--options", '{"bananas": {"prior": "flops"}}', "--out", ""])


def test_a_tagged_entry_runs_its_strategy_with_the_preset_or_given_options(
        nb201_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report.label("local_search#prior") == "this project, local search (prior)"
    assert report.group("local_search#prior") == "ours"
    args = peers.parse_args(["--table", str(nb201_csv), "--strategies",
                             "local_search,local_search#prior"])
    assert args.options == {"local_search#prior": {"move": "best", "start": "prior"}}
    args = peers.parse_args(["--table", str(nb201_csv), "--strategies",
                             "local_search#prior", "--options",
                             '{"local_search#prior": {"move": "first"}}'])
    assert args.options == {"local_search#prior": {"move": "first", "start": "prior"}}
    with pytest.raises(SystemExit):
        peers.parse_args(["--table", str(nb201_csv), "--strategies", "bananas#mine"])
    assert "'bananas#mine': an entry <strategy>#<tag> needs its options" in \
        capsys.readouterr().err
    # the preset reaches the strategy: steepest ascent from the largest cell, whose
    # 12-epoch validation accuracy the table gives as 69.078; then its whole neighbourhood
    queries = peers.run_ours("local_search#prior", 0, str(nb201_csv), "valid_acc_12ep",
                             "test_acc_200ep", 3000, peers.PRESETS["local_search#prior"])
    assert queries[0][1] == pytest.approx(69.078)
    plain = peers.run_ours("local_search", 0, str(nb201_csv), "valid_acc_12ep",
                           "test_acc_200ep", 3000)
    assert plain[0][1] != pytest.approx(69.078)


@pytest.mark.slow
def test_main_gives_a_tagged_entry_its_preset_and_judges_the_half_budget(
        nb201_csv: Path) -> None:
    # the largest cell (all nor_conv_3x3, 213 s a query, 69.078 at 12 epochs) is the only
    # query of local_search#prior that fits in 220 s
    summary = peers.main(["--runs", "2", "--seconds", "220,440", "--strategies",
                          "local_search#prior,plain:random", "--table", str(nb201_csv),
                          "--out", "", "--processes", "1"])
    first = summary["cells"]["cifar10"]["220"]["local_search#prior"]
    assert first["signal_mean"] == pytest.approx(69.078) and first["queries_mean"] == 1
    assert first["label"].endswith('{"move": "best", "start": "prior"}')
    verdict = summary["half_budget"]["cifar10"]
    assert (verdict["ours"], verdict["peer"]) == ("local_search#prior", "plain:random")
    assert (verdict["half_s"], verdict["full_s"]) == (220.0, 440.0)
    assert verdict["met"] == (verdict["ours_mean_at_half"] >= verdict["peer_mean_at_full"])
