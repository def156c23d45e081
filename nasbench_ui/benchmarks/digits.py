"""``nasbench_ui.benchmarks.digits``, the old path of :mod:`nasbench_ui.tables.digits`
(which it re-exports, constants included), for scripts and notebooks that import it.

Example:
    >>> import importlib
    >>> old = importlib.import_module("nasbench_ui.benchmarks.digits")
    >>> new = importlib.import_module("nasbench_ui.tables.digits")
    >>> old.DATA_DIR == new.DATA_DIR and old.train_one is new.train_one
    True
"""

from ..tables.digits import (
    DATA_DIR,
    META_NAME,
    PROTOCOL,
    SUMS_NAME,
    TABLE_NAME,
    digits,
    digits_estimator_options,
    digits_space,
    protocol,
    sha256_of,
    train_one,
    verify,
    write_checksums,
)

__all__ = ["DATA_DIR", "META_NAME", "PROTOCOL", "SUMS_NAME", "TABLE_NAME", "digits",
           "digits_estimator_options", "digits_space", "protocol", "sha256_of", "train_one",
           "verify", "write_checksums"]
