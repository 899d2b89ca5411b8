"""Configs are data: round trips, versioning, and errors that name the key path and line."""

from __future__ import annotations

import json

import numpy as np
import pytest

import invariant as iv

from ..conftest import photo


def pipeline():
    return iv.Compose(
        [iv.OneOf([iv.HorizontalFlip(p=0.7), iv.VerticalFlip(p=0.3)]), iv.RandomResizedCrop(24, scale=(0.3, 1.0)), iv.Normalize()],
        bbox_format="coco",
        seed=4,
    )


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_file_round_trip_gives_identical_outputs(tmp_path, suffix):
    pipe = pipeline()
    path = tmp_path / f"p{suffix}"
    iv.save(pipe, path)
    loaded = iv.load(path)
    img = photo()
    for _ in range(5):
        a = pipe(image=img, bboxes=[[5, 5, 20, 20]], labels=[1])
        b = loaded(image=img, bboxes=[[5, 5, 20, 20]], labels=[1])
        np.testing.assert_array_equal(a["image"], b["image"])
        np.testing.assert_allclose(a["bboxes"], b["bboxes"])
    data = iv.to_dict(pipe)
    assert data["format_version"] == 1 and data["pipeline"]["name"] == "Compose"


def test_unknown_transform_names_the_path_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "format_version: 1\npipeline:\n  name: Compose\n  args:\n    transforms:\n"
        "    - name: HorizontalFlip\n      args: {p: 0.5}\n    - name: os.system\n      args: {}\n"
    )
    with pytest.raises(iv.ConfigError) as info:
        iv.load(path)
    msg = str(info.value)
    assert "'os.system'" in msg and "['transforms'][1]['name']" in msg and "bad.yaml:8" in msg


def test_bad_argument_value_names_the_transform(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"pipeline": {"name": "HorizontalFlip", "args": {"p": 3}}}))
    with pytest.raises(iv.ConfigError, match=r"HorizontalFlip.*p"):
        iv.load(path)


def test_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("pipeline:\n  name: Compose\n  args: [unclosed\n")
    with pytest.raises(iv.ConfigError, match="line"):
        iv.load(path)


def test_newer_format_version_is_refused():
    with pytest.raises(iv.ConfigError, match="newer"):
        iv.from_dict({"format_version": 99, "pipeline": {"name": "HorizontalFlip", "args": {}}})


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("pipeline: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(iv.ConfigError):
        iv.load(path)


def test_lambda_is_restored_only_from_a_passed_function():
    def brighten(img):
        return np.clip(img.astype(np.int16) + 10, 0, 255).astype(np.uint8)

    pipe = iv.Compose([iv.Lambda(image=brighten, name="brighten")])
    data = iv.to_dict(pipe)
    with pytest.raises(iv.ConfigError, match="functions="):
        iv.from_dict(data)
    restored = iv.from_dict(data, functions={"brighten": brighten})
    img = photo()
    np.testing.assert_array_equal(restored(image=img)["image"], brighten(img))


def test_schedules_serialize():
    pipe = iv.Compose([iv.RandomResizedCrop(24, scale=iv.Linear((0.5, 1.0), (0.1, 1.0)))])
    restored = iv.from_dict(iv.to_dict(pipe))
    restored.set_progress(1.0)
    assert restored.transforms[0].scale == (0.1, 1.0)
