"""The shipped tabular benchmarks under their old name: ``nb.benchmarks`` re-exports
:mod:`nasbench_ui.tables` (renamed so that it no longer shares its name with the
repository's ``benchmarks/`` scripts).

Example:
    >>> import nasbench_ui as nb
    >>> len(nb.benchmarks.digits()) >= 1000
    True
"""

# through the re-exporting submodule, so that importing ``nasbench_ui.benchmarks.digits``
# later never rebinds ``nb.benchmarks.digits`` (the function) to that module
from .digits import digits, digits_estimator_options, digits_space, protocol, train_one, verify

__all__ = ["digits", "digits_estimator_options", "digits_space", "protocol", "train_one", "verify"]
