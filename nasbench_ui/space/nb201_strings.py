"""NAS-Bench-201's architecture strings (Dong & Yang, ICLR 2020): its 6 edges, 5 ops,
and the conversion between an ``nb201`` architecture dict and the official string.

A leaf module: :mod:`~nasbench_ui.space.archs` uses it for ``key_format="nb201"`` and
:mod:`~nasbench_ui.space.presets` re-exports it.

Example:
    >>> a = nb201_arch("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")
    >>> a["1<-0"], nb201_str(a) == "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
    ('nor_conv_3x3', True)
"""

from __future__ import annotations

import re
from typing import Any

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_EDGES = ("1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2")
_NB201_RE = re.compile(r"^\|([^|~]+)~0\|\+\|([^|~]+)~0\|([^|~]+)~1\|\+\|([^|~]+)~0\|([^|~]+)~1\|([^|~]+)~2\|$")


def nb201_str(arch: dict[str, Any]) -> str:
    """The official NAS-Bench-201 string of an nb201 architecture."""
    try:
        o = [arch[lb] for lb in NB201_EDGES]
    except (KeyError, TypeError):
        raise ValueError(f"not an nb201 architecture (needs the labels {list(NB201_EDGES)}): {arch!r}") from None
    for lb, op in zip(NB201_EDGES, o, strict=True):
        if op not in NB201_OPS:
            raise ValueError(f"decision {lb!r}: {op!r} is not a NAS-Bench-201 op {list(NB201_OPS)}")
    return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"


def nb201_arch(s: str) -> dict[str, str]:
    """Parse an official NAS-Bench-201 string into an nb201 architecture."""
    m = _NB201_RE.match(s.strip()) if isinstance(s, str) else None
    if not m:
        raise ValueError(f"not a NAS-Bench-201 string (expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2|): {s!r}")
    arch = dict(zip(NB201_EDGES, m.groups(), strict=True))
    nb201_str(arch)
    return arch
