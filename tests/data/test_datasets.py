"""Tests of the data sets: Dataset, the registry, digits, from_arrays and torchvision sets."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from nasbench_ui import data
from nasbench_ui.data import Dataset, from_arrays

SPLITS = ("train", "valid", "test")


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return data.load("digits", seed=0)


def _raw_rows(d: Dataset, split: str) -> np.ndarray:
    """Undo the standardisation of a digits split: back to 0..16 integer pixels."""
    x = getattr(d, f"x_{split}").numpy() * d.meta["std"][0] + d.meta["mean"][0]
    return np.rint(x.reshape(len(x), -1)).astype(int)


# ------------------------------------------------------------------- digits
def test_names() -> None:
    assert data.names()[:5] == ["digits", "digits_seq", "mnist", "fashion_mnist", "cifar10"]


def test_digits_shapes_and_types(digits: Dataset) -> None:
    assert digits.name == "digits" and digits.input_shape == (1, 8, 8) and digits.num_classes == 10
    assert (len(digits.y_train), len(digits.y_valid), len(digits.y_test)) == (1079, 359, 359)
    for s in SPLITS:
        assert getattr(digits, f"x_{s}").dtype == torch.float32
        assert getattr(digits, f"y_{s}").dtype == torch.int64
        assert getattr(digits, f"x_{s}").shape[1:] == (1, 8, 8)


def test_digits_splits_partition_the_sklearn_data(digits: Dataset) -> None:
    bunch = load_digits()
    want = Counter((tuple(r), int(t)) for r, t in zip(bunch.data.astype(int), bunch.target, strict=True))
    got: Counter = Counter()
    for s in SPLITS:
        got.update((tuple(r), int(t)) for r, t in
                   zip(_raw_rows(digits, s), getattr(digits, f"y_{s}").tolist(), strict=True))
    assert got == want


def test_digits_standardised_with_train_statistics_only(digits: Dataset) -> None:
    raw_train = _raw_rows(digits, "train")
    assert digits.meta["mean"][0] == pytest.approx(raw_train.mean(), rel=1e-6)
    assert digits.meta["std"][0] == pytest.approx(raw_train.std(), rel=1e-6)
    assert abs(float(digits.x_train.mean())) < 1e-5
    assert float(digits.x_train.std()) == pytest.approx(1.0, abs=1e-3)
    raw_all = load_digits().data
    assert digits.meta["mean"][0] != pytest.approx(raw_all.mean(), rel=1e-6)  # not all data
    assert abs(float(digits.x_valid.mean())) > 1e-4  # valid is scaled by train stats, not its own


def test_digits_is_deterministic_per_seed(digits: Dataset) -> None:
    again = data.load("digits", seed=0)
    other = data.load("digits", seed=1)
    for s in SPLITS:
        assert torch.equal(getattr(digits, f"x_{s}"), getattr(again, f"x_{s}"))
        assert torch.equal(getattr(digits, f"y_{s}"), getattr(again, f"y_{s}"))
    assert not torch.equal(digits.y_train, other.y_train)


def test_digits_is_stratified(digits: Dataset) -> None:
    totals = np.bincount(load_digits().target, minlength=10)
    for s, frac in (("train", 0.6), ("valid", 0.2), ("test", 0.2)):
        counts = np.bincount(getattr(digits, f"y_{s}").numpy(), minlength=10)
        assert np.all(np.abs(counts - totals * frac) <= 1.0), (s, counts)


def test_digits_options() -> None:
    d = data.load("digits", seed=2, valid_fraction=0.1, test_fraction=0.3)
    assert (len(d.y_train), len(d.y_valid), len(d.y_test)) == (1078, 180, 539)
    raw = data.load("digits", normalize=False)
    assert float(raw.x_train.max()) == 16.0 and float(raw.x_train.min()) == 0.0
    assert d.meta["source"].startswith("sklearn.datasets.load_digits")


def test_digits_seq_is_the_same_split_as_rows(digits: Dataset) -> None:
    seq = data.load("digits_seq", seed=0)
    assert seq.name == "digits_seq" and seq.input_shape == (8, 8) and seq.num_classes == 10
    for s in SPLITS:
        assert torch.equal(getattr(seq, f"x_{s}"), getattr(digits, f"x_{s}")[:, 0])
        assert torch.equal(getattr(seq, f"y_{s}"), getattr(digits, f"y_{s}"))


@pytest.mark.parametrize(("options", "text"), [
    ({"valid_frac": 0.1}, r"data set 'digits' got unknown option\(s\) \['valid_frac'\]; its options are "
                          r"\['valid_fraction', 'test_fraction', 'normalize'\]"),
    ({"valid_fraction": 0.0}, r"valid_fraction must be a number with 0 < valid_fraction < 1, got 0.0"),
    ({"test_fraction": 1.2}, r"test_fraction must be a number with 0 <= test_fraction < 1, got 1.2"),
    ({"valid_fraction": "0.1"}, r"valid_fraction must be a number"),
    ({"valid_fraction": 0.5, "test_fraction": 0.5}, r"valid_fraction \+ test_fraction must be < 1"),
    ({"seed": -1}, r"seed must be an int >= 0, got -1"),
    ({"seed": 1.5}, r"seed must be an int >= 0, got 1.5"),
])
def test_load_bad_options(options: dict, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        data.load("digits", **options)


def test_load_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"unknown data set 'digit' \(did you mean 'digits'") as e:
        data.load("digit")
    assert "; known: digits, digits_seq, " in str(e.value)


# ------------------------------------------------------------------- Dataset
def test_subset_is_stratified_and_deterministic(digits: Dataset) -> None:
    sub = digits.subset(0.25, seed=3)
    assert len(sub.y_train) == round(0.25 * 1079)
    full = np.bincount(digits.y_train.numpy(), minlength=10)
    part = np.bincount(sub.y_train.numpy(), minlength=10)
    assert np.all(np.abs(part - full * len(sub.y_train) / 1079) <= 1.0)
    assert torch.equal(sub.x_train, digits.subset(0.25, seed=3).x_train)
    assert not torch.equal(sub.y_train, digits.subset(0.25, seed=4).y_train)
    assert torch.equal(sub.x_valid, digits.x_valid) and torch.equal(sub.y_test, digits.y_test)
    assert sub.meta["subset"] == {"n": 270, "of": 1079, "seed": 3}
    # the rows kept are rows of the train split, with their labels
    rows = {(tuple(x.flatten().tolist()), int(y)) for x, y in zip(digits.x_train, digits.y_train, strict=True)}
    assert all((tuple(x.flatten().tolist()), int(y)) in rows
               for x, y in zip(sub.x_train, sub.y_train, strict=True))


def test_subset_by_count_keeps_every_class(digits: Dataset) -> None:
    sub = digits.subset(10, seed=0)
    assert sorted(sub.y_train.tolist()) == list(range(10))
    assert len(digits.subset(1079).y_train) == 1079


@pytest.mark.parametrize(("arg", "text"), [
    (0.0, r"subset: a fraction must be in \(0, 1\], got 0.0"),
    (1.5, r"subset: a fraction must be in \(0, 1\], got 1.5"),
    (0, r"subset: n must be between 1 and the 1079 training samples, got 0"),
    (2000, r"subset: n must be between 1 and the 1079 training samples, got 2000"),
    ("half", r"subset: fraction_or_n must be a float in \(0, 1\] or an int, got 'half'"),
    (True, r"subset: fraction_or_n must be a float"),
])
def test_subset_bad_input(digits: Dataset, arg: object, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        digits.subset(arg)  # type: ignore[arg-type]


def test_to_and_summary(digits: Dataset) -> None:
    moved = digits.to("cpu")
    assert moved is not digits and moved.x_train.device.type == "cpu"
    s = digits.summary()
    json.dumps(s)
    assert s["n_train"] == 1079 and s["input_shape"] == [1, 8, 8] and s["num_classes"] == 10
    assert sum(s["class_counts"]["valid"]) == 359 and s["device"] == "cpu"
    assert "train=1079" in repr(digits)


def test_dataset_checks_its_fields() -> None:
    x, y = torch.zeros(4, 3), torch.tensor([0, 1, 0, 1])
    ok = {"x_train": x, "y_train": y, "x_valid": x, "y_valid": y, "x_test": x, "y_test": y}
    with pytest.raises(ValueError, match=r"x_valid must be a float32 torch.Tensor, got a torch.float64"):
        Dataset("t", **{**ok, "x_valid": x.double()}, input_shape=(3,), num_classes=2)
    with pytest.raises(ValueError, match=r"y_test must be a 1-D int64 torch.Tensor, got list"):
        Dataset("t", **{**ok, "y_test": [0, 1, 0, 1]}, input_shape=(3,), num_classes=2)
    with pytest.raises(ValueError, match=r"x_train has shape \(4, 3\) and y_train length 3"):
        Dataset("t", **{**ok, "y_train": y[:3]}, input_shape=(3,), num_classes=2)
    with pytest.raises(ValueError, match=r"x_train has shape \(4, 3\).*expected \(N, \*\(4,\)\)"):
        Dataset("t", **ok, input_shape=(4,), num_classes=2)
    with pytest.raises(ValueError, match=r"y_train holds labels outside \[0, 2\): min 0, max 2"):
        Dataset("t", **{**ok, "y_train": torch.tensor([0, 1, 2, 1])}, input_shape=(3,), num_classes=2)
    with pytest.raises(ValueError, match="num_classes must be an int >= 2, got 1"):
        Dataset("t", **ok, input_shape=(3,), num_classes=1)
    with pytest.raises(ValueError, match=r"input_shape must be \(F,\), \(T, F\) or \(C, H, W\)"):
        Dataset("t", **ok, input_shape=(0,), num_classes=2)


# ---------------------------------------------------------------- from_arrays
def test_from_arrays_numpy_and_tensors_give_the_same_data() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(5.0, 3.0, size=(100, 4)), np.arange(100) % 4
    a = from_arrays(x, y, name="mine", seed=7)
    b = from_arrays(torch.from_numpy(x), torch.from_numpy(y), name="mine", seed=7)
    assert a.name == "mine" and a.input_shape == (4,) and a.num_classes == 4
    assert (len(a.y_train), len(a.y_valid), len(a.y_test)) == (60, 20, 20)
    for s in SPLITS:
        assert torch.equal(getattr(a, f"x_{s}"), getattr(b, f"x_{s}"))
        assert np.bincount(getattr(a, f"y_{s}").numpy()).tolist() == [len(getattr(a, f"y_{s}")) // 4] * 4


def test_from_arrays_standardises_per_feature_with_train_stats() -> None:
    rng = np.random.default_rng(1)
    x = np.stack([np.arange(200.0), rng.normal(size=200) * 10 + 50], axis=1)
    y = np.arange(200) % 2
    raw = from_arrays(x, y, seed=3, normalize=False)
    d = from_arrays(x, y, seed=3)
    mean, std = raw.x_train.double().mean(0), raw.x_train.double().std(0, unbiased=False)
    assert d.meta["mean"] == pytest.approx(mean.tolist(), rel=1e-6)
    assert d.meta["std"] == pytest.approx(std.tolist(), rel=1e-6)
    assert torch.allclose(d.x_valid, ((raw.x_valid - mean) / std).float(), atol=1e-5)
    assert torch.allclose(d.x_train.mean(0), torch.zeros(2), atol=1e-5)


def test_from_arrays_images_per_channel_and_sequences() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 2, 3, 3)) + np.array([0.0, 100.0])[None, :, None, None]
    d = from_arrays(x, np.arange(40) % 2, seed=0)
    assert d.input_shape == (2, 3, 3) and len(d.meta["mean"]) == 2
    assert d.meta["mean"][1] > 99
    assert torch.allclose(d.x_train.mean(dim=(0, 2, 3)), torch.zeros(2), atol=1e-5)
    s = from_arrays(rng.normal(size=(30, 5, 3)), np.arange(30) % 3)
    assert s.input_shape == (5, 3) and len(s.meta["std"]) == 3


def test_from_arrays_imbalanced_and_tiny_classes() -> None:
    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    d = from_arrays(np.arange(100.0)[:, None], y, seed=0)
    counts = {s: np.bincount(getattr(d, f"y_{s}").numpy(), minlength=3).tolist() for s in SPLITS}
    assert counts["valid"][:2] == [18, 2] and counts["test"][:2] == [18, 2]
    assert all(c >= 1 for c in counts["train"])  # every class keeps a training sample
    assert sum(sum(c) for c in counts.values()) == 100


def test_from_arrays_singleton_classes_stay_in_train() -> None:
    y = np.array([0] * 10 + list(range(1, 11)))  # ten classes with a single sample each
    d = from_arrays(np.arange(20.0)[:, None], y, seed=0)
    assert sorted(set(d.y_train.tolist())) == list(range(11))
    assert set(d.y_valid.tolist()) == {0} and set(d.y_test.tolist()) == {0}
    assert (len(d.y_train), len(d.y_valid), len(d.y_test)) == (12, 4, 4)


def test_from_arrays_accepts_whole_float_labels_and_num_classes() -> None:
    d = from_arrays(np.ones((20, 2)), np.arange(20.0) % 2, num_classes=5)
    assert d.num_classes == 5 and d.y_train.dtype == torch.int64


@pytest.mark.parametrize(("x", "y", "kw", "text"), [
    (np.ones((10, 2)), np.arange(9) % 2, {}, "x has 10 samples but y has 9 labels"),
    (np.ones((0, 2)), np.zeros(0), {}, r"x is empty \(shape \(0, 2\)\)"),
    (np.ones(10), np.arange(10) % 2, {}, r"x must have 2 to 4 dimensions.*got shape \(10,\)"),
    (np.ones((10, 1, 1, 1, 1)), np.arange(10) % 2, {}, r"got shape \(10, 1, 1, 1, 1\)"),
    (np.array([["a", "b"]] * 10), np.arange(10) % 2, {}, "x must hold real numbers, got dtype <U1"),
    (np.ones((10, 2)), (np.arange(10) % 2)[:, None], {}, r"y must be 1-D .* got shape \(10, 1\)"),
    (np.ones((10, 2)), np.array([0, 1] * 4 + [0.5, 1]), {}, r"labels must be integers .*y\[8\] = 0.5"),
    (np.ones((10, 2)), np.array(["cat", "dog"] * 5), {}, r"labels must be integers .*LabelEncoder"),
    (np.ones((10, 2)), np.array([0, 1] * 4 + [-1, 1]), {}, r"labels must be >= 0; y\[8\] = -1"),
    (np.ones((10, 2)), np.arange(10) % 3, {"num_classes": 2}, r"labels must be < num_classes=2; y\[2\] = 2"),
    (np.ones((10, 2)), np.zeros(10, dtype=int), {}, "y holds a single class"),
    (np.ones((10, 2)), np.arange(10) % 2, {"num_classes": 1}, "num_classes must be an int >= 2, got 1"),
    (np.ones((2, 2)), np.arange(2), {}, r"2 samples are too few .*valid split would be empty"),
    (np.ones((5, 2)), np.arange(5) % 4, {}, r"5 samples are too few .*train split would hold 3 samples, fewer than the 4 classes\); add samples or lower the fractions"),
    (np.ones((6, 2)), np.arange(6) % 2, {"test_fraction": 0.01}, r"6 samples are too few .*the test split would be empty"),
    (np.ones((10, 2)), np.arange(10) % 2, {"normalize": "yes"}, "normalize must be True or False"),
    (np.ones((10, 2)), np.arange(10) % 2, {"name": ""}, "name must be a non-empty str"),
])
def test_from_arrays_errors(x: np.ndarray, y: np.ndarray, kw: dict, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        from_arrays(x, y, **kw)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_from_arrays_rejects_non_finite_features(bad: float) -> None:
    x = np.ones((10, 3))
    x[4, 2] = bad
    with pytest.raises(ValueError, match=r"x holds 1 NaN or infinite value\(s\), the first at index \(4, 2\)"):
        from_arrays(x, np.arange(10) % 2)


# ---------------------------------------------------------------- registry
def test_register_custom_loader() -> None:
    def tiny(seed: int = 0, n: int = 20) -> Dataset:
        return from_arrays(np.arange(n * 2.0).reshape(n, 2), np.arange(n) % 2, name="tiny", seed=seed)

    data.register("tiny_test", tiny)
    try:
        assert "tiny_test" in data.names()
        assert len(data.load("tiny_test", seed=1, n=40).y_train) == 24
        with pytest.raises(ValueError, match="'tiny_test' is already registered; pass replace=True"):
            data.register("tiny_test", tiny)
        data.register("tiny_test", lambda seed=0: "nope", replace=True)
        with pytest.raises(ValueError, match="'tiny_test': the loader returned str, not a Dataset"):
            data.load("tiny_test")
    finally:
        data.datasets._REGISTRY.pop("tiny_test", None)
    with pytest.raises(ValueError, match="the loader must take a `seed` keyword"):
        data.register("no_seed", lambda n=3: None)
    with pytest.raises(ValueError, match="loader must be callable"):
        data.register("bad", 3)  # type: ignore[arg-type]


# --------------------------------------------------------- torchvision sets
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_vision_sets_without_torchvision_give_a_clear_error(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` fail
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)
    with pytest.raises(ValueError, match=rf"data set '{name}' needs torchvision, which is not installed") as e:
        data.load(name)
    assert "pip install 'nasbench_ui[vision]'" in str(e.value) and "'digits'" in str(e.value)


def test_importing_and_loading_digits_never_imports_torchvision() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torchvision':\n"
        "            raise AssertionError('torchvision was imported')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import nasbench_ui.data as d\n"
        "d.load('digits'); d.load('digits_seq')\n"
        "print('ok', sorted(d.names()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


def _fake_torchvision(monkeypatch: pytest.MonkeyPatch, fail: Exception | None = None) -> list:
    """A stand-in torchvision.datasets whose classes hold small random uint8 images."""
    calls: list = []

    def make(shape: tuple, channels_last: bool) -> type:
        class Fake:
            def __init__(self, root: str, train: bool, download: bool) -> None:
                calls.append((root, train, download))
                if fail is not None:
                    raise fail
                n = 200 if train else 50
                rng = np.random.default_rng(1 if train else 2)
                img = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
                self.data = img if channels_last else torch.from_numpy(img)
                self.targets = (np.arange(n) % 10).tolist() if channels_last else torch.arange(n) % 10
        return Fake

    mod = types.ModuleType("torchvision.datasets")
    mod.MNIST = make((28, 28), False)  # type: ignore[attr-defined]
    mod.FashionMNIST = make((28, 28), False)  # type: ignore[attr-defined]
    mod.CIFAR10 = make((32, 32, 3), True)  # type: ignore[attr-defined]
    pkg = types.ModuleType("torchvision")
    pkg.datasets = mod  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", pkg)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", mod)
    return calls


def test_vision_conversion_with_a_stand_in_torchvision(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    calls = _fake_torchvision(monkeypatch)
    m = data.load("mnist", seed=0, root=str(tmp_path))
    assert m.input_shape == (1, 28, 28) and m.num_classes == 10
    assert (len(m.y_train), len(m.y_valid), len(m.y_test)) == (180, 20, 50)  # official test kept
    assert np.bincount(m.y_valid.numpy()).tolist() == [2] * 10
    assert calls == [(str(tmp_path), True, True), (str(tmp_path), False, True)]
    c = data.load("cifar10", seed=0, root=str(tmp_path), valid_fraction=0.2, download=False)
    assert c.input_shape == (3, 32, 32) and len(c.meta["mean"]) == 3 and len(c.y_valid) == 40
    assert torch.allclose(c.x_train.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    raw = data.load("fashion_mnist", root=str(tmp_path), normalize=False)
    assert float(raw.x_train.min()) >= 0.0 and float(raw.x_train.max()) <= 1.0


def test_vision_offline_failure_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    _fake_torchvision(monkeypatch, fail=RuntimeError("Error downloading train-images-idx3-ubyte.gz"))
    with pytest.raises(ValueError, match=r"could not load data set 'mnist' under .*RuntimeError: Error "
                                         r"downloading.*check the internet connection.*'digits'"):
        data.load("mnist", root=str(tmp_path))
    with pytest.raises(ValueError, match="pass download=True or place the files there"):
        data.load("mnist", root=str(tmp_path), download=False)
    with pytest.raises(ValueError, match=r"got unknown option\(s\) \['path'\]"):
        data.load("cifar10", path="x")
