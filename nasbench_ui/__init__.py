"""nasbench_ui: a Jupyter-native workbench for Neural Architecture Search.

Example:
    >>> import nasbench_ui as nb
    >>> nb.spaces.nb201().size()
    15625
"""

from . import spaces
from .space import SearchSpace

__version__ = "0.1.0"

__all__ = ["SearchSpace", "__version__", "spaces"]
