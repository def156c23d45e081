"""Tabular benchmarks that ship with the package (see :mod:`.digits`).

Example:
    >>> import nasbench_ui as nb
    >>> len(nb.benchmarks.digits()) >= 1000
    True
"""

from .digits import digits, digits_estimator_options, digits_space, protocol, train_one, verify

__all__ = ["digits", "digits_estimator_options", "digits_space", "protocol", "train_one", "verify"]
