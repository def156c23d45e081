"""Tabular benchmarks that ship with the package (see :mod:`.digits`): results of
trained architectures, looked up by the ``tabular`` estimator instead of training.

The package was once called ``nasbench_ui.benchmarks``, a name it shared with the
repository's ``benchmarks/`` scripts; ``nb.benchmarks`` still re-exports it.

Example:
    >>> from nasbench_ui import tables
    >>> len(tables.digits()) == tables.digits_space().size()
    True
"""

from .digits import (
    digits,
    digits_estimator_options,
    digits_multifidelity_options,
    digits_space,
    protocol,
    train_one,
    verify,
)

__all__ = ["digits", "digits_estimator_options", "digits_multifidelity_options", "digits_space", "protocol", "train_one", "verify"]
