"""Data sets: the ``Dataset`` record, named loaders and ``from_arrays`` for your own data.

``digits`` and ``digits_seq`` work offline (scikit-learn ships them); ``mnist``,
``fashion_mnist`` and ``cifar10`` need torchvision and the files or a network.

Example:
    >>> from nasbench_ui import data
    >>> d = data.load("digits", seed=0)
    >>> d.input_shape, d.num_classes, d.subset(0.1, seed=0).summary()["n_train"]
    ((1, 8, 8), 10, 108)
"""

from .dataset import Dataset
from .datasets import check, digits, digits_seq, from_arrays, load, names, register

__all__ = ["Dataset", "check", "digits", "digits_seq", "from_arrays", "load", "names", "register"]
