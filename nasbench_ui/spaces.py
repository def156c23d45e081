"""Preset search spaces: ``nb.spaces.nb201()``, ``keras_cnn()``, ``mlp()``, ``rnn()``, ``darts_cell()``,
``darts()`` (the published DARTS space: normal and reduction cells, see
:mod:`nasbench_ui.space.darts_space`).

Example:
    >>> from nasbench_ui import spaces
    >>> spaces.keras_cnn().size()
    320
"""

from .space.presets import (
    DEFAULT_DATASET,
    blank,
    darts,
    darts_cell,
    digits_cell,
    get,
    keras_cnn,
    mlp,
    names,
    nb201,
    nb201_arch,
    nb201_str,
    rnn,
)

__all__ = [
    "DEFAULT_DATASET", "blank", "darts", "darts_cell", "digits_cell", "get", "keras_cnn", "mlp", "names", "nb201",
    "nb201_arch", "nb201_str", "rnn",
]
