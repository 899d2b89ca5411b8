"""The name maps in docs/ stay complete and point at registered transforms.

docs/albumentations-names.md must list every transform that albumentations 2.0.8 (a dev dependency)
exports, so the map cannot go stale silently, and every invariant name it gives must exist.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import albumentations as A
from albumentations.core.transforms_interface import BasicTransform

import invariant

DOC = Path(__file__).resolve().parents[1] / "docs" / "albumentations-names.md"
_CODE = re.compile(r"`([^`]*)`")
_LEADING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def albumentations_transforms() -> set[str]:
    """Every class exported at albumentations' top level that subclasses BasicTransform."""
    return {name for name, obj in vars(A).items() if inspect.isclass(obj) and issubclass(obj, BasicTransform)}


def table_rows(section: str) -> list[list[str]]:
    """The cells of every data row of the first table under the ``## section`` heading."""
    text = DOC.read_text()
    start = text.index(f"\n## {section}\n") + 1
    rows: list[list[str]] = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if cells[0] in ("albumentations 2.0.8", "AlbumentationsX 2.5.1") or set(cells[0]) <= {"-", "|"}:
            continue
        rows.append(cells)
    return rows


def leading_names(cell: str) -> list[str]:
    """The identifier each backticked span starts with (``Affine(rotate=...)`` -> ``Affine``)."""
    names = []
    for span in _CODE.findall(cell):
        match = _LEADING_NAME.match(span)
        if match:
            names.append(match.group())
    return names


def test_albumentations_enumeration_is_real() -> None:
    # guards the reference itself: 2.0.8 exports 122 such classes, and well-known ones are among them
    found = albumentations_transforms()
    assert A.__version__ == "2.0.8"
    assert len(found) == 122
    assert {"HorizontalFlip", "ShiftScaleRotate", "ToTensorV2", "BasicTransform"} <= found


def test_every_albumentations_transform_is_listed() -> None:
    rows = table_rows("Transforms")
    first_column = [leading_names(cells[0])[0] for cells in rows]
    assert len(first_column) == len(set(first_column)), "a name is listed twice"
    missing = sorted(albumentations_transforms() - set(first_column))
    assert not missing, f"add rows for {missing} to {DOC.name}"
    unknown = sorted(set(first_column) - albumentations_transforms())
    assert not unknown, f"{unknown} are not albumentations 2.0.8 transforms"


def test_every_invariant_name_is_registered() -> None:
    registered = set(invariant.available_transforms())
    checked = 0
    for section in ("Transforms", "AlbumentationsX 2.5.1"):
        for cells in table_rows(section):
            second = cells[1]
            names = leading_names(second)
            if not names:
                assert second == "not in invariant", f"row {cells[0]}: {second!r}"
            for name in names:
                assert name in registered, f"row {cells[0]}: {name} is not a registered transform"
                checked += 1
    assert checked > 100


def test_not_in_invariant_rows_are_true() -> None:
    # a row saying "not in invariant" must not name something invariant registers under the same name
    registered = set(invariant.available_transforms())
    absent = [leading_names(cells[0])[0] for cells in table_rows("Transforms") if cells[1] == "not in invariant"]
    assert absent and not set(absent) & registered
