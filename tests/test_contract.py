"""The shared contract every registered transform must meet, collected from the registry (not a hand
list): add a transform and it is covered. Per supported dtype and channel count: output contract,
no mutation of inputs, determinism under a seed, serialization round trip, pickling, declared effects,
masks keep their label set, boxes stay valid."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.core.compose import Container
from invariant.core.transform import REGISTRY, library_transforms

from .conftest import example_transform, photo

LEAVES = sorted(name for name, cls in library_transforms().items() if not issubclass(cls, Container))
UNDECLARED_OK = {"Lambda"}  # wraps an arbitrary user function: its effects are unknown by design


def build(name: str) -> iv.Transform:
    return example_transform(name)


def cases():
    for name in LEAVES:
        cls = REGISTRY[name]
        for dtype in cls.dtypes:
            for channels in (1, 3, 4, 6):
                if cls.channels is not None and channels not in cls.channels:
                    continue
                yield pytest.param(name, dtype, channels, id=f"{name}-{dtype}-{channels}c")


def _run(pipe: iv.Compose, image: np.ndarray, return_params: bool = False, **extra) -> dict:
    return pipe(image=image, return_params=return_params, **_with_sources(pipe, image, extra))


def _with_sources(pipe: iv.Compose, image: np.ndarray, extra: dict) -> dict:
    """Multi-sample transforms (Mosaic, CopyPaste) take extra samples: copies of the call itself, with one
    instance mask per box (the filled box) so CopyPaste has instances to paste."""
    n = sum(leaf.sources_needed() for leaf in pipe.leaves())
    if not n:
        return extra
    extra = dict(extra)
    h, w = image.shape[:2]
    masks = []
    for x0, y0, x1, y1 in np.asarray(extra.get("bboxes", np.zeros((0, 4))), dtype=np.float64):
        m = np.zeros((h, w), np.uint8)
        m[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))] = 1
        masks.append(m)
    extra["masks"] = masks
    extra["sources"] = [dict(extra, image=image) for _ in range(n)]
    return extra


def _equal(a, b) -> bool:
    if hasattr(a, "numpy"):
        a, b = a.numpy(), b.numpy()
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def test_registry_has_transforms():
    assert {"HorizontalFlip", "RandomResizedCrop", "Normalize", "Compose", "OneOf"} <= set(REGISTRY)


@pytest.mark.parametrize("name,dtype,channels", list(cases()))
def test_contract(name: str, dtype: str, channels: int) -> None:
    t = build(name)
    image = photo(dtype, channels)
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    mask[10:30, 20:50] = 1
    mask[5:15, 5:15] = 2
    boxes = np.array([[20, 10, 50, 30], [5, 5, 15, 15]], dtype=np.float64)
    keypoints = np.array([[30.5, 20.5], [8.5, 9.5]])
    inputs = dict(image=image, mask=mask, bboxes=boxes, labels=["a", "b"], keypoints=keypoints)
    copies = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else list(v) for k, v in inputs.items()}

    pipe = iv.Compose([t], seed=7)
    out = _run(pipe, **inputs)
    kept = out["image"].clone() if hasattr(out["image"], "clone") else out["image"].copy()

    # no mutation of any input
    for k, v in inputs.items():
        assert np.array_equal(np.asarray(v), np.asarray(copies[k])), f"{name} mutated input {k!r}"

    # output contract
    img = out["image"]
    if t.terminal:
        assert tuple(img.shape[-2:]) == out["mask"].shape[-2:]
    else:
        assert isinstance(img, np.ndarray)
        expected_dtype = t.output_dtype(np.dtype(dtype))
        assert img.dtype == expected_dtype, f"{name}: dtype {img.dtype} != declared {expected_dtype}"
        assert img.ndim == 3 and img.flags["C_CONTIGUOUS"]
        assert img.shape[:2] == out["mask"].shape[:2]
        if not np.isfinite(img).all():
            raise AssertionError(f"{name} produced non-finite pixels")
        # masks keep their label set (plus the transform's fill value, if any)
        allowed = {0, 1, 2, int(getattr(t, "fill_mask", 0) or 0)}
        assert set(np.unique(out["mask"]).tolist()) <= allowed, f"{name} invented mask labels"
        assert out["mask"].dtype == np.uint8
        # boxes stay valid and inside the canvas, labels travel with them
        b = out["bboxes"]
        oh, ow = img.shape[:2]
        assert len(b) == len(out["labels"]) == len(out["bbox_indices"])
        if len(b):
            assert (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()
            assert b.min() >= 0 and (b[:, [0, 2]] <= ow + 1e-3).all() and (b[:, [1, 3]] <= oh + 1e-3).all()
        assert [["a", "b"][i] for i in out["bbox_indices"]] == list(out["labels"])
        k = out["keypoints"]
        if len(k):
            assert ((k[:, 0] >= 0) & (k[:, 0] <= ow) & (k[:, 1] >= 0) & (k[:, 1] <= oh)).all()

    # determinism under a seed
    again = _run(iv.Compose([build(name)], seed=7), **inputs)
    assert _equal(out["image"], again["image"]), f"{name} is not deterministic under a seed"

    # serialization round trip
    restored = iv.from_dict(iv.to_dict(iv.Compose([t], seed=7)))
    assert _equal(_run(restored, **inputs)["image"], out["image"]), f"{name} changed after to_dict/from_dict"

    # pickling (DataLoader workers)
    unpickled = pickle.loads(pickle.dumps(iv.Compose([t], seed=7)))
    assert _equal(_run(unpickled, **inputs)["image"], out["image"]), f"{name} changed after pickling"

    # replay reproduces the call
    first = iv.Compose([build(name)], seed=11)
    rec = _run(first, return_params=True, **inputs)
    replayed = first.replay(rec["params"], **_with_sources(first, inputs["image"], inputs))
    assert _equal(replayed["image"], rec["image"]), f"{name}: replay differs from the recorded call"

    # outputs belong to the caller: later calls (other seeds, another image) never write into them
    _run(iv.Compose([build(name)], seed=12), **dict(inputs, image=np.ascontiguousarray(image[::-1, ::-1])))
    assert _equal(out["image"], kept), f"{name}: a later call overwrote an earlier output (a reused work array leaked)"


@pytest.mark.parametrize("name", LEAVES)
def test_effects_declared(name: str) -> None:
    effects = build(name).effects()
    if name in UNDECLARED_OK:
        assert effects is None
    else:
        assert isinstance(effects, iv.core.effects.Effects), f"{name} must declare effects()"


@pytest.mark.parametrize("name", LEAVES)
def test_yaml_round_trip(name: str, tmp_path) -> None:
    pipe = iv.Compose([build(name)], seed=3)
    path = tmp_path / "pipe.yaml"
    iv.save(pipe, path)
    image = photo("uint8", 3) if "uint8" in REGISTRY[name].dtypes else photo("float32", 3)
    if REGISTRY[name].channels is not None and 3 not in REGISTRY[name].channels:
        image = photo(image.dtype.name, REGISTRY[name].channels[0])
    assert _equal(_run(iv.load(path), image)["image"], _run(pipe, image)["image"])


@pytest.mark.parametrize("name", LEAVES)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_contract_property_random_sizes(name: str, data) -> None:
    """Random canvas sizes, dtypes and seeds: outputs keep the contract, masks keep labels, boxes stay valid."""
    cls = REGISTRY[name]
    dtype = data.draw(st.sampled_from(cls.dtypes))
    channels = data.draw(st.sampled_from(cls.channels or (1, 3, 4, 5)))
    h, w = data.draw(st.integers(24, 72)), data.draw(st.integers(24, 72))
    seed = data.draw(st.integers(0, 2**32 - 1))
    image = photo(dtype, channels, size=(h, w))
    mask = (photo("uint8", 1, size=(h, w))[:, :, 0] // 86).astype(np.uint8)  # labels 0..2
    x0, y0 = data.draw(st.floats(0, w - 8)), data.draw(st.floats(0, h - 8))
    box = [[x0, y0, min(w, x0 + data.draw(st.floats(2, 30))), min(h, y0 + data.draw(st.floats(2, 30)))]]
    out = _run(iv.Compose([build(name)], seed=seed), image, mask=mask, bboxes=box, labels=[5])
    if build(name).terminal:
        return
    assert out["image"].ndim == 3 and out["image"].shape[:2] == out["mask"].shape
    assert set(np.unique(out["mask"]).tolist()) <= set(np.unique(mask).tolist()) | {int(getattr(build(name), "fill_mask", 0) or 0)}
    for b in out["bboxes"]:
        assert 0 <= b[0] < b[2] <= out["image"].shape[1] + 1e-3 and 0 <= b[1] < b[3] <= out["image"].shape[0] + 1e-3
