"""The typed plan of one call, and fusion analysis: a pure function from steps to runs.

``Compose.plan(...)`` samples a call and returns a ``Plan``: the ``Step`` s that will run, in order. A step
holds the transform, the parameters it drew (plain data: what ``return_params`` records and ``replay``
takes back), the canvas it receives, and for a spatial step the ``Geometry`` it states: a 3x3 matrix
plus an output canvas, or a displacement field. How a step executes (a view, slice + resize, a warp, a
remap, a table) is not in the plan: an executor (``core.executor``) decides it from the geometry.

``analyse(steps)`` groups the steps into runs without executing anything: ``SpatialRun`` (consecutive
spatial steps executed as ONE resampling), ``TableRun`` (consecutive pointwise uint8 steps that may
become one lookup table; which of them do depends on the image's statistics and is settled by the
executor), and ``SingleStep``. The fusion rules are in ``SpatialRun``'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ops import geometric as geo
from .sample import Sample

_TOL = 1e-6


class Geometry:
    """What a spatial step does to coordinates: ``matrix`` (3x3, continuous coordinates, pixel column i
    spans [i, i+1)) or ``field`` (backward sampling maps ``(map_x, map_y)`` over the output canvas), from
    an ``in_shape`` canvas onto an ``out_shape`` canvas.

    ``form`` says what the matrix turned out to be (``geo.classify``: identity, an integer window with
    flips, a transposed window, a scaled integer window, or general); transforms that know it without
    arithmetic (flips, crops) state it, otherwise it is derived on first use. ``reveals``: whether the
    output canvas maps back outside the input canvas (so the border rule shows)."""

    __slots__ = ("in_shape", "out_shape", "matrix", "field", "_form", "_reveals")

    def __init__(
        self,
        in_shape: tuple[int, int],
        out_shape: tuple[int, int],
        matrix: np.ndarray | None = None,
        field: tuple[np.ndarray, np.ndarray] | None = None,
        form: tuple | None = None,
    ) -> None:
        self.in_shape = in_shape
        self.out_shape = out_shape
        self.matrix = matrix
        self.field = field
        self._form = form
        self._reveals: bool | None = None

    @property
    def form(self) -> tuple | None:
        """``geo.classify(matrix, in_shape, out_shape)`` (None for a field)."""
        if self._form is None and self.matrix is not None:
            self._form = geo.classify(self.matrix, self.in_shape, self.out_shape)
        return self._form

    @property
    def exact(self) -> bool:
        """A pure index remap (identity, integer window, transposed window): agrees with any interpolation."""
        form = self.form
        return form is not None and form[1] in _EXACT_FORMS

    @property
    def reveals(self) -> bool:
        if self._reveals is None:
            if self.matrix is None:
                from ..ops.distort import field_reveals

                self._reveals = field_reveals(self.field, self.in_shape)  # type: ignore[arg-type]
            else:
                known = _form_reveals(self.form, self.out_shape)
                self._reveals = _reveals(self.matrix, self.in_shape, self.out_shape) if known is None else known
        return self._reveals

    def __repr__(self) -> str:
        what = "field" if self.matrix is None else f"matrix={np.round(self.matrix, 6).tolist()}"
        return f"Geometry({self.in_shape} -> {self.out_shape}, {what})"


_MATRIX_SLOT = Geometry.__dict__["matrix"]  # the slot itself, for the lazily built matrix below


class TranslationGeometry(Geometry):
    """The geometry of an integer crop: the translation ``(tx, ty)`` onto ``out_shape``, its ``form`` stated.
    The matrix is built on first read (fusion, moving boxes): a crop that runs alone on an image never
    reads it, and building it costs a fair share of such a call."""

    __slots__ = ("_shift",)

    def __init__(self, in_shape: tuple[int, int], out_shape: tuple[int, int], tx: float, ty: float, form: tuple) -> None:
        self.in_shape = in_shape
        self.out_shape = out_shape
        _MATRIX_SLOT.__set__(self, None)
        self.field = None
        self._form = form
        self._reveals = None
        self._shift = (tx, ty)

    @property  # type: ignore[override]
    def matrix(self) -> np.ndarray:
        m = _MATRIX_SLOT.__get__(self)
        if m is None:
            m = geo.translation(*self._shift)
            _MATRIX_SLOT.__set__(self, m)
        return m

    @matrix.setter
    def matrix(self, value: np.ndarray) -> None:
        _MATRIX_SLOT.__set__(self, value)


@dataclass(slots=True, eq=False)
class Step:
    """One applied transform: its drawn ``params``, the canvas it receives, its geometry when spatial."""

    transform: Any
    params: dict[str, Any]
    in_shape: tuple[int, int]
    geometry: Geometry | None = None


@dataclass(slots=True, frozen=True)
class SingleStep:
    """Execute ``steps[index]`` on its own."""

    index: int


@dataclass(slots=True, frozen=True, eq=False)
class SpatialRun:
    """Execute ``steps[start:end]`` (spatial, at least two) as ONE resampling.

    Consecutive spatial steps compose when they agree on interpolation (pure index remaps, like flips
    and integer crops, agree with anything). A step after the first that reveals pixels outside its own
    input canvas joins the run when every step before it is an exact window revealing nothing and
    together they map an integer source window onto its canvas (crops, resizes, flips, quarter turns:
    the warp then reads that ``window`` of the source with this step's border rule, ``border_at``; a
    rotation and its inverse compose to a window too, but their filled corners must stay filled), or
    when its border is constant (its fill is painted afterwards where it revealed: on the output pixels
    whose centre maps back outside its input canvas, the rule a warp itself follows, so index remaps
    match op-by-op exactly). Otherwise the run splits there. ``composite``: the run's composed matrix
    (None when a field takes part)."""

    start: int
    end: int
    border_at: int
    window: tuple[int, int, int, int] | None
    composite: np.ndarray | None


@dataclass(slots=True, frozen=True)
class TableRun:
    """``steps[start:end]``: consecutive steps declaring ``lut_fusable`` (at most the last one
    ``lut_ends_run``). The executor turns the longest prefixes whose tables exist for the image's dtype
    and statistics into one table pass each, and runs the rest step by step."""

    start: int
    end: int


Run = SingleStep | SpatialRun | TableRun
_SINGLE_0 = (SingleStep(0),)
_SINGLES = tuple(SingleStep(i) for i in range(64))  # shared (frozen) runs: building one costs a microsecond
_TABLE_RUNS: dict[tuple[int, int], TableRun] = {}


def _single(i: int) -> SingleStep:
    return _SINGLES[i] if i < 64 else SingleStep(i)


def _table_run(start: int, end: int) -> TableRun:
    run = _TABLE_RUNS.get((start, end))
    if run is None:
        run = TableRun(start, end)
        if start < 64 and end <= 64:  # (bounded: at most ~2000 entries)
            _TABLE_RUNS[(start, end)] = run
    return run


@dataclass(slots=True, eq=False)
class Plan:
    """A sampled call: the steps to execute on ``sample`` (whose boxes and keypoints are already moved,
    step by step). ``runs()`` is the fusion analysis; an executor (``Compose.execute``) runs it."""

    steps: list[Step]
    sample: Sample
    meta: dict[str, Any] = field(default_factory=dict)  # how the caller's keywords are written back
    fuse: bool = True

    def runs(self) -> tuple[Run, ...] | list[Run]:
        return analyse(self.steps, self.fuse)

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]


# ---- analysis ---------------------------------------------------------------------------------------------------


def analyse(steps: list[Step], fuse: bool = True) -> tuple[Run, ...] | list[Run]:
    """Group ``steps`` into runs (pure: reads only transforms' declarations and geometries)."""
    n = len(steps)
    if n == 1:  # one step: nothing to fuse (spatial runs and table runs both need two steps)
        return _SINGLE_0
    runs: list[Run] = []
    i = 0
    while i < n:
        step = steps[i]
        t = step.transform
        if fuse and t.spatial:
            if i + 1 < n and _fusable(step) and _fusable(steps[i + 1]):
                j = _flips_after_resampling(steps, i)
                if j:
                    runs.extend(_single(k) for k in range(i, j))
                    i = j
                    continue
                j, border_at, window, composite = _run_end(steps, i)
                if j > i + 1:
                    runs.append(SpatialRun(i, j, border_at, window, composite))
                    i = j
                    continue
        elif fuse and t.lut_fusable and not t.lut_ends_run and i + 1 < n and steps[i + 1].transform.lut_fusable:
            end = i
            while end < n and steps[end].transform.lut_fusable and not steps[end].transform.spatial:
                end += 1
                if steps[end - 1].transform.lut_ends_run:
                    break
            if end - i >= 2:
                runs.append(_table_run(i, end))
                i = end
                continue
        runs.append(_single(i))
        i += 1
    return runs


def _fusable(step: Step) -> bool:
    return step.geometry is not None and step.transform.fusable


_EXACT_FORMS = (geo.IDENTITY, geo.WINDOW, geo.TWINDOW)
_WINDOW_FORMS = (geo.IDENTITY, geo.WINDOW, geo.TWINDOW, geo.RESIZE)


def interpolation_of(step: Step) -> str | None:
    """The step's interpolation, or None for a pure index remap (agrees with any interpolation)."""
    g = step.geometry
    if g is not None and g.matrix is not None and g.exact:
        return None
    return step.transform.interpolation


def _reveals(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int]) -> bool:
    """Does the output canvas map back outside the input canvas (so border filling matters)?"""
    h, w = out_shape
    try:
        (a, b, c), (d, e, f), (g, k, m) = geo.inverse(matrix).tolist()  # Python floats: 4 points, no arrays
    except np.linalg.LinAlgError:
        return True
    H, W = in_shape
    for x, y in ((0.0, 0.0), (w, 0.0), (w, h), (0.0, h)):
        z = g * x + k * y + m
        bx, by = (a * x + b * y + c) / z, (d * x + e * y + f) / z
        if bx < -_TOL or by < -_TOL or bx > W + _TOL or by > H + _TOL:
            return True
    return False


def _form_reveals(form: tuple | None, out_shape: tuple[int, int]) -> bool | None:
    """``reveals`` read off a form when it is a view or slice (its source window is the back-mapped
    canvas); None when the form does not say."""
    if form is None:
        return None
    (H, W), code = form[0], form[1]
    if code == geo.IDENTITY or code == geo.RESIZE:  # a resize window lies inside the source by construction
        return False
    out_h, out_w = out_shape
    if code == geo.WINDOW:
        x0, y0 = form[2], form[3]
        return x0 < 0 or y0 < 0 or x0 + out_w > W or y0 + out_h > H
    if code == geo.TWINDOW:  # the source window has the canvas' axes swapped
        x0, y0 = form[2], form[3]
        return y0 < 0 or x0 < 0 or y0 + out_h > W or x0 + out_w > H
    return None


def _source_window(prefix: np.ndarray, canvas: tuple[int, int], source: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """If the steps so far (``prefix``) map an integer-aligned source rectangle inside the source onto
    the whole current canvas (crops, resizes, flips, quarter turns), return that rectangle: warping from
    the sliced source with a later step's border rule then equals running that step on the
    intermediate image (up to interpolation)."""
    if not geo.is_affine(prefix) or not (geo.is_axis_aligned(prefix) or geo.is_transposing(prefix)):
        return None
    h, w = canvas
    (a, b, c), (d, e, f), _ = geo.inverse(prefix).tolist()  # affine: two corners map by hand
    xa, ya, xb, yb = c, f, a * w + b * h + c, d * w + e * h + f
    vals = [min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)]
    if not all(abs(v - round(v)) < 1e-6 for v in vals):
        return None
    x0, y0, x1, y1 = (int(round(v)) for v in vals)
    H, W = source
    if x0 < 0 or y0 < 0 or x1 > W or y1 > H or x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _reads_inside(step: Step) -> bool:
    """Is this step an exact window of its input (identity, integer crop, flip, quarter turn, transpose,
    or a resize of an integer window onto its whole canvas) that reveals nothing? Only then is its
    output all source content, so a later step's border rule may be applied at the source window's
    edge instead: a step that revealed (a rotation's filled corners, a pad) must keep its fill, even
    when the run so far composes to a window (a rotation and its inverse)."""
    g = step.geometry
    if g is None or g.matrix is None:
        return False
    return g.form[1] in _WINDOW_FORMS and not g.reveals  # type: ignore[index]


def _run_end(steps: list[Step], i: int) -> tuple[int, int, tuple[int, int, int, int] | None, np.ndarray | None]:
    """End (exclusive) of the fusable spatial run starting at ``i``, the index of the step whose border
    rule the single resampling uses, the source window it reads (None: the whole source), and the
    run's composed matrix (None when a field takes part)."""
    interp = interpolation_of(steps[i])
    border_step, window = i, None
    prefix = steps[i].geometry.matrix  # type: ignore[union-attr]
    j = i + 1
    while j < len(steps) and _fusable(steps[j]):
        step = steps[j]
        g = step.geometry
        interp_j = interpolation_of(step)
        if interp is not None and interp_j is not None and interp_j != interp:
            break
        if g.reveals:  # type: ignore[union-attr]
            found = None
            if border_step == i and prefix is not None and all(_reads_inside(steps[k]) for k in range(i, j)):
                found = _source_window(prefix, step.in_shape, steps[i].in_shape)
            if found is not None:
                border_step, window = j, found
            elif step.transform.border_mode != "constant":
                break
        interp = interp or interp_j
        prefix = g.matrix @ prefix if prefix is not None and g.matrix is not None else None  # type: ignore[union-attr]
        j += 1
    return j, border_step, window, prefix


def _whole_flip(step: Step) -> bool:
    """Is this step a flip of its whole canvas (an exact index remap that neither crops nor transposes)?"""
    g = step.geometry
    if g is None or g.matrix is None:
        return False
    form = g.form
    return form[1] == geo.WINDOW and form[2] == 0 and form[3] == 0 and tuple(g.out_shape) == form[0]  # type: ignore[index]


def _flips_after_resampling(steps: list[Step], i: int) -> int:
    """End of a run made of one crop-and-resize step followed only by whole-canvas flips (the everyday
    RandomResizedCrop + HorizontalFlip), else 0. Fused, the one kernel would resize and then flip anyway,
    so fusing saves no pixel work and only adds planning: such a run goes op by op (the same OpenCV calls
    on the same arrays, so the same bits)."""
    g = steps[i].geometry
    if g is None or g.matrix is None or g.form[1] != geo.RESIZE:  # type: ignore[index]  # a general warp folds the flip in
        return 0
    j = i + 1
    while j < len(steps) and _fusable(steps[j]) and _whole_flip(steps[j]):
        j += 1
    return j if j > i + 1 and (j == len(steps) or not _fusable(steps[j])) else 0
