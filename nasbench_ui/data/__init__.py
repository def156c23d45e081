"""Data sets: the ``Dataset`` record, named loaders and ``from_arrays`` for your own data.

``digits`` and ``digits_seq`` work offline (scikit-learn ships them); ``mnist``,
``fashion_mnist`` and ``cifar10`` need torchvision and the files or a network. A
``Dataset`` object given to an experiment with a file store is saved next to the store
as an ``.npz`` of arrays (:mod:`.npz`) and reloads with it.

Example:
    >>> from nasbench_ui import data
    >>> d = data.load("digits", seed=0)
    >>> d.input_shape, d.num_classes, d.subset(0.1, seed=0).summary()["n_train"]
    ((1, 8, 8), 10, 108)
"""

from .dataset import Dataset
from .datasets import check, digits, digits_seq, from_arrays, get, load, names, register, unregister
from .npz import DatasetFile, load_npz, save_npz

__all__ = ["Dataset", "DatasetFile", "check", "digits", "digits_seq", "from_arrays", "get", "load",
           "load_npz", "names", "register", "save_npz", "unregister"]
