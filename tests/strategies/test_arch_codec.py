"""Architectures as rows of choice indices: the one-hot and the path encodings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from strategy_helpers import fan_in_space

from nasbench_ui import spaces
from nasbench_ui.strategies.arch_codec import ArchCodec


@pytest.mark.parametrize("space", [spaces.nb201(), spaces.keras_cnn(), spaces.mlp(),
                                   spaces.darts_cell(), fan_in_space(5, 2)],
                         ids=lambda s: s.name)
def test_the_codec_encodes_like_the_space_and_round_trips(space: Any) -> None:
    import random

    codec = ArchCodec(space)
    archs = [space.sample(random.Random(i)) for i in range(60)]
    rows = np.array([codec.row(a) for a in archs])
    assert codec.encode(rows).tolist() == [space.encode(a) for a in archs]
    assert [codec.arch(r) for r in rows] == [space.canonical(a) for a in archs]
    pairs = set(zip(codec.codes(rows), (space.key(a) for a in archs), strict=True))
    assert len({c for c, _ in pairs}) == len({k for _, k in pairs}) == len(pairs)  # 1:1


def test_the_path_encoding_marks_one_operation_sequence_per_path() -> None:
    space = spaces.nb201()
    codec = ArchCodec(space, paths=True)
    assert codec.width == 30 + 5 + 25 + 25 + 125  # 4 paths: 0-3, 0-1-3, 0-2-3, 0-1-2-3
    arch = {lb: "skip_connect" for lb in space.labels}
    other = dict(arch, **{"2<-1": "nor_conv_3x3"})  # changes only the path 0-1-2-3
    x = codec.encode(np.array([codec.row(arch), codec.row(other)]))
    assert x[:, 30:].sum(axis=1).tolist() == [4.0, 4.0]
    assert (x[0, 30:] != x[1, 30:]).sum() == 2  # one path's sequence moved
    assert x[:, :30].tolist() == [space.encode(arch), space.encode(other)]
    cnn = spaces.keras_cnn()  # not a cell of operation edges: the one-hot encoding only
    assert ArchCodec(cnn, paths=True).width == ArchCodec(cnn).width == cnn.encoding_size
