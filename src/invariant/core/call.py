"""Reading a keyword call into a typed Sample (with every input check), and writing it back out."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..targets.base import generation, registered_targets
from .errors import Described, type_error, value_error
from .sample import Annotations, Planes, Sample
from .sources import mark_channels, read_sources, write_bound

IMAGE_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))
_BASIC_TARGETS = (("image", "image"), ("mask", "mask"))
_F32 = np.dtype(np.float32)
_U8 = np.dtype(np.uint8)


_IMAGE_DTYPE_SET = frozenset(IMAGE_DTYPES)
# Channel-first detection: a 3-D array with at most this many leading rows whose last axis is more than
# CHW_RATIO times that and more than CHW_MIN_LAST is read as (C, H, W): (3, 512, 512), (1, 28, 28) and
# (4, 64, 64) are refused, while (H, W, 13) satellite tiles, (H, W, 200) hyperspectral cubes and tiny images
# such as (8, 8, 3) or (2, 2, 3) pass. Compose(layout="HWC") accepts every shape as (H, W, C).
CHW_MAX_CHANNELS = 4
CHW_RATIO = 4
CHW_MIN_LAST = 16


def _check_array(name: str, value: Any, kind: str, layout: str = "auto") -> np.ndarray:
    """Validate one array target and return it as (H, W, C) (a view; 2-D arrays gain a channel axis)."""
    if not isinstance(value, np.ndarray):
        if type(value).__module__.startswith("torch"):
            fix = "pass a numpy HWC array, e.g. tensor.permute(1, 2, 0).numpy()"
        elif type(value).__module__.startswith("PIL"):
            fix = "convert with np.asarray(pil_image)"
        else:
            fix = "pass a numpy array of shape (H, W) or (H, W, C)"
        type_error(name, "a numpy array", value, fix)
    ndim = value.ndim
    if ndim != 3 and ndim != 2:
        value_error(name, "an array of shape (H, W) or (H, W, C)", value, "for a batch or a video, call the pipeline per frame or use replay")
    shape = value.shape
    if shape[0] == 0 or shape[1] == 0:
        value_error(name, "a non-empty image", value, "check how the image was loaded")
    if ndim == 3:
        c = shape[2]
        if c == 0:
            value_error(name, "at least one channel", value, "pass an (H, W) array or an (H, W, C) array with C >= 1")
        if layout == "auto" and name != "masks" and shape[0] <= CHW_MAX_CHANNELS and c > CHW_RATIO * shape[0] and c > CHW_MIN_LAST:
            value_error(
                name,
                "an (H, W, C) array (channels last); this one looks channel-first (C, H, W)",
                value,
                f"transpose it with np.transpose({name}, (1, 2, 0)); if it really is {shape[0]} rows of {c} channels, "
                "build the pipeline with Compose(..., layout='HWC')",
            )
    if kind == "image":
        dtype = value.dtype
        if dtype not in _IMAGE_DTYPE_SET:
            fix = "cast with .astype(np.float32)" if dtype.kind == "f" else "cast to uint8, uint16 or float32"
            value_error(name, "dtype uint8, uint16 or float32", value, fix)
        if dtype == _F32 and not np.isfinite(value.sum(dtype=np.float64)):
            value_error(name, "finite pixel values", value, "replace NaN/inf first (declare metric data with holes as kind 'depth')")
    elif kind == "mask" and value.dtype.kind not in "biuf":
        value_error(name, "a numeric or boolean label mask", value, "cast the mask to an integer dtype")
    return value if ndim == 3 else value[:, :, None]


def _known_keys(pipe: Any) -> tuple[set[str], tuple[tuple[str, str], ...], tuple[tuple[str, Any, tuple[str, ...]], ...]]:
    """The keywords ``pipe`` accepts, its array targets, and its point targets as (keyword, type, label
    fields) (cached on the pipeline until another target type is registered)."""
    cached = pipe.__dict__.get("_known_keys")
    if cached is None or cached[3] != generation():
        points = tuple((kw, cls, tuple(cls.label_fields(pipe))) for kw, cls in registered_targets().items())
        known = {"image", "mask", "masks", *pipe.additional_targets}
        for kw, _, fields in points:
            known.add(kw)
            known.update(fields)
        targets = (("image", "image"), ("mask", "mask"), *pipe.additional_targets.items()) if pipe.additional_targets else _BASIC_TARGETS
        cached = (known, targets, points, generation())
        pipe.__dict__["_known_keys"] = cached
    return cached


# dtypes of the everyday image that ``image_sample`` checks inline (float32 adds the finite check)
_LEAN_DTYPES = frozenset((np.dtype(np.uint8), np.dtype(np.uint16), _F32))


def image_sample(pipe: Any, image: Any) -> Sample | None:
    """The Sample of the common call ``pipe(image=...)`` when ``image`` is an everyday image: a plain
    numpy array, (H, W) or (H, W, C) with H > CHW_MAX_CHANNELS (so it cannot look channel-first), non-empty,
    uint8 / uint16 / finite float32. None otherwise: ``read_sample`` then runs every check (and raises
    its errors). The same checks as ``_check_array`` in a few comparisons, since the call costs
    microseconds."""
    if type(image) is not np.ndarray:
        return None
    dtype = image.dtype
    if dtype not in _LEAN_DTYPES:
        return None
    shape = image.shape
    if len(shape) == 3:
        h, w, c = shape
        if h <= CHW_MAX_CHANNELS or not w or not c:
            return None
    elif len(shape) == 2:
        h, w = shape
        if not h or not w:
            return None
        image, c = image[:, :, None], 1
    else:
        return None
    if dtype is not _U8 and dtype.kind == "f" and not np.isfinite(image.sum(dtype=np.float64)):
        return None
    return Sample({"image": image}, {"image": "image"}, Annotations(), (h, w), dtype, c, pipe)


def image_meta(ndim: int) -> dict[str, Any]:
    """Output metadata of the call ``pipe(image=...)`` with an ``ndim``-dimensional image."""
    return {"ndim": {"image": ndim}, "masks_list": None, "points": ()}


def read_sample(pipe: Any, data: dict[str, Any]) -> tuple[Sample, dict[str, Any]]:
    """Validate the keyword call of ``pipe`` and build the internal Sample plus output metadata."""
    if len(data) == 1 and data.get("image") is not None:  # the common call pipe(image=...): no targets to reconcile
        raw = data["image"]
        sample = image_sample(pipe, raw)
        if sample is not None:
            return sample, image_meta(raw.ndim)
        image = _check_array("image", raw, "image", getattr(pipe, "layout", "auto"))
        return Sample({"image": image}, {"image": "image"}, Annotations(), image.shape[:2], image.dtype, image.shape[2], pipe), image_meta(raw.ndim)
    if "sources" in data:  # extra samples for multi-sample steps (Mosaic, CopyPaste): read like this one
        data = dict(data)
        raw_sources = data.pop("sources")
        sample, meta = read_sample(pipe, data)
        if raw_sources is not None:
            if not getattr(pipe, "_takes_sources", True):
                value_error("sources", "extra samples only for a pipeline with a multi-sample transform (Mosaic, CopyPaste)", f"{len(raw_sources) if hasattr(raw_sources, '__len__') else raw_sources} sources", "drop sources=..., or add Mosaic/CopyPaste at the start of the pipeline")
            sample.sources = read_sources(pipe, raw_sources, sample, read_sample)
        return sample, meta
    known, array_targets, point_targets, _ = _known_keys(pipe)
    if not known.issuperset(data):
        key = next(k for k in data if k not in known)
        type_error(
            f"keyword {key!r}",
            f"one of {sorted(known)}",
            data[key],
            "declare extra arrays with Compose(additional_targets={...}) or per-box labels with label_fields=(...)",
        )
    get = data.get
    arrays: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    ndims: dict[str, int] = {}
    for name, kind in array_targets:
        value = get(name)
        if value is not None:
            arrays[name] = _check_array(name, value, kind, getattr(pipe, "layout", "auto"))
            kinds[name] = kind
            ndims[name] = value.ndim
    meta: dict[str, Any] = {"ndim": ndims, "masks_list": None}
    masks = get("masks")
    if masks is not None:
        if isinstance(masks, (list, tuple)):
            if len(masks):
                checked = [_check_array(f"masks[{i}]", m, "mask", getattr(pipe, "layout", "auto")) for i, m in enumerate(masks)]
                for i, m in enumerate(checked):
                    if m.shape != checked[0].shape or m.dtype != checked[0].dtype:
                        value_error(f"masks[{i}]", f"the shape and dtype of masks[0], {checked[0].shape[:2]} and {checked[0].dtype}", m, "give every mask the same shape and dtype")
                if all(m.ndim == 2 for m in masks):  # one plane per instance: kept apart (``Planes``)
                    arrays["masks"] = Planes(list(masks), *checked[0].shape[:2], checked[0].dtype)
                    meta["masks_in"] = {id(m) for m in masks}
                else:
                    arrays["masks"] = np.concatenate(checked, axis=2)
                kinds["masks"] = "mask"
            meta["masks_list"] = len(masks)
        elif isinstance(masks, np.ndarray) and masks.ndim == 3 and masks.shape[0] == 0:
            meta["masks_empty"] = masks.dtype  # no instances: an empty (0, H', W') array comes back
        elif isinstance(masks, np.ndarray) and masks.ndim == 3:
            _check_array("masks", np.moveaxis(masks, 0, -1), "mask")
            planes = list(masks)  # views of the caller's array, never written
            arrays["masks"] = Planes(planes, masks.shape[1], masks.shape[2], masks.dtype)
            meta["masks_in"] = {id(m) for m in planes}
            kinds["masks"] = "mask"
        else:
            type_error("masks", "a list of (H, W) masks or an (N, H, W) array", masks, "stack the instance masks")
    if not arrays:
        value_error("image", "an image (or another array target) to augment", None, "call pipe(image=...)")
    first = next(iter(arrays))
    shape = arrays[first].shape[:2]
    if len(arrays) > 1:
        for name, arr in arrays.items():
            if arr.shape[:2] != shape:
                got = Described(f"{len(arr)} instance masks of height and width {arr.shape[:2]} (read as (N, H, W))") if type(arr) is Planes else data.get(name, arr)  # the caller's array, as given
                value_error(name, f"height and width {shape} matching {first!r}", got, f"resize {name} to the image size before augmenting")
    image = arrays.get("image", arrays[first])
    ann = Annotations()
    present: list[str] = []
    if len(data) > len(arrays):  # some keyword is not an array: point targets or their labels
        for kw, cls, fields in point_targets:
            if get(kw) is not None:
                ann.targets[kw] = cls.read(pipe, data, shape)
                present.append(kw)
            elif any(get(f) is not None for f in fields):
                value_error(kw, f"{kw} to go with the given labels", None, f"pass {kw}=... together with the label field")
        if ann.targets:
            n_masks = meta["masks_list"] if meta["masks_list"] is not None else arrays["masks"].shape[2] if "masks" in arrays else 0 if "masks_empty" in meta else None
            mark_channels(pipe, ann, n_masks)  # instance i's mask position, so masks can follow boxes (core.sources)
            # the pipeline's rules apply to the input too, so the same input gets the same treatment whether
            # or not a spatial step runs: keypoints outside the image are invisible from the start (dropped
            # under remove_invisible_keypoints), boxes clipped to nothing or failing min_* are dropped
            ann.filter(shape, pipe)
    meta["points"] = present
    sample = Sample(arrays, kinds, ann, shape, image.dtype, image.shape[2], rules=pipe)
    return sample, meta


def write_image(sample: Sample, ndim: int) -> dict[str, Any] | None:
    """``write_sample``'s output for a call ``pipe(image=...)`` whose sample still holds just that numpy
    image (``ndim``: the caller's), without building metadata; None when anything else is there."""
    arrays = sample.arrays
    if len(arrays) != 1:
        return None
    arr = arrays.get("image")
    if type(arr) is not np.ndarray:
        return None
    if ndim == 2 and arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not arr.flags.c_contiguous:  # e.g. an identity step on a strided input
        arr = np.ascontiguousarray(arr)
    return {"image": arr}


def write_sample(pipe: Any, sample: Sample, meta: dict[str, Any]) -> dict[str, Any]:
    """Turn the internal Sample back into the caller's keywords and formats."""
    out: dict[str, Any] = {}
    for name, arr in sample.arrays.items():
        if name == "masks":
            continue
        if meta["ndim"].get(name) == 2:
            if hasattr(arr, "permute"):  # torch tensor from ToTensor, channels first
                if sample.kinds[name] != "image" and arr.ndim == 3 and arr.shape[0] == 1:
                    arr = arr[0]
            elif arr.ndim == 3 and arr.shape[2] == 1:
                arr = arr[:, :, 0]
        if not hasattr(arr, "permute") and not arr.flags.c_contiguous:  # e.g. an identity step on a strided input
            arr = np.ascontiguousarray(arr)
        out[name] = arr
    if "masks" in sample.arrays:
        stacked = sample.arrays["masks"]
        if type(stacked) is Planes:
            out["masks"] = _planes_out(stacked, meta)
        elif hasattr(stacked, "permute"):  # torch tensor produced by ToTensor: already (N, H, W)
            out["masks"] = list(stacked) if meta["masks_list"] is not None else stacked
        else:
            out["masks"] = _mask_list(stacked) if meta["masks_list"] is not None else np.ascontiguousarray(np.moveaxis(stacked, -1, 0))
    elif meta["masks_list"] == 0:
        out["masks"] = []
    elif meta.get("masks_empty") is not None:
        out["masks"] = np.zeros((0, *sample.shape), meta["masks_empty"])
    if meta["points"]:
        targets = sample.annotations.targets
        for kw in meta["points"]:
            targets[kw].write(pipe, sample.shape, out)
        write_bound(pipe, sample, out)
    return out


def _mask_list(stacked: np.ndarray) -> list[np.ndarray]:
    """The (H, W, N) instance-mask stack as a list of N C-contiguous (H, W) masks (``Planes.from_stack``:
    OpenCV's split where it takes the dtype and count, about 2x numpy's per-plane copies)."""
    return Planes.from_stack(stacked).planes


def _planes_out(masks: Planes, meta: dict[str, Any]) -> Any:
    """The instance-mask planes as the caller passed them: a list of C-contiguous (H, W) arrays, or one (N, H, W)
    array. A plane no step changed is the caller's own array (or a view of it): it goes back as a copy, as
    every output mask is a new array."""
    if meta["masks_list"] is None:
        return np.stack(masks.planes) if len(masks) else np.zeros((0, masks.height, masks.width), masks.dtype)
    given = meta.get("masks_in", ())
    return [m.copy() if id(m) in given or not m.flags.c_contiguous else m for m in masks.planes]
