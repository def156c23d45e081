"""Presets, and the NAS-Bench-201 conversion on every row of the shared table."""

import csv

import pytest

from nasbench_ui import spaces


def test_nb201_shape():
    s = spaces.nb201()
    assert s.size() == 15625
    assert s.labels == ("1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2")
    assert [n.name for n in s.nodes] == ["0", "1", "2", "3"]
    assert len(s.edges) == 6
    assert s.edges[0].ops == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


def test_nb201_round_trips_every_row_of_the_table(nb201_csv):
    s = spaces.nb201()
    seen = set()
    with open(nb201_csv) as f:
        for row in csv.DictReader(f):
            arch = spaces.nb201_arch(row["arch_str"])
            s.validate(arch)
            assert s.key(arch) == row["arch_str"]
            assert spaces.nb201_str(arch) == row["arch_str"]
            seen.add(row["arch_str"])
    assert len(seen) == 15625
    assert seen == {s.key(a) for a in s.enumerate()}


def test_nb201_bad_strings():
    with pytest.raises(ValueError, match="not a NAS-Bench-201 string"):
        spaces.nb201_arch("|conv~0|")
    with pytest.raises(ValueError, match="decision '1<-0': 'conv_3x3' is not a NAS-Bench-201 op"):
        spaces.nb201_arch("|conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown space 'nope'; presets are"):
        spaces.get("nope")
