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


# -- optional args, alias bombs, de-duplicated messages (issue 12) -----------------------------------------------


def test_args_are_optional_and_default_to_empty(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("pipeline:\n  name: Compose\n  args:\n    transforms:\n    - name: HorizontalFlip\n    - name: Rotate\n      args: {limit: 10}\n    - name: OnChannels\n      args:\n        transform: {name: Invert}\n        channels: [0]\n")
    pipe = iv.load(path)
    assert [type(t).__name__ for t in pipe.transforms] == ["HorizontalFlip", "Rotate", "OnChannels"]
    assert pipe.transforms[0].init_args() == iv.HorizontalFlip().init_args()
    assert type(pipe.transforms[2].transform).__name__ == "Invert"
    assert type(iv.from_dict({"name": "HorizontalFlip"})).__name__ == "HorizontalFlip"
    # a plain dict argument whose only key is "name" stays data, not a transform
    restored = iv.from_dict(iv.to_dict(iv.Compose([], additional_targets={"name": "image"})))
    assert restored.additional_targets == {"name": "image"}


def test_an_unknown_transform_name_suggests_the_closest(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("pipeline:\n  name: Compose\n  args:\n    transforms:\n    - name: HorizntalFlip\n")
    with pytest.raises(iv.ConfigError, match=r"p.yaml:5: .*unknown transform 'HorizntalFlip'. Fix: did you mean 'HorizontalFlip'\?"):
        iv.load(path)


def test_the_reported_typo_names_the_transform_once(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("pipeline:\n  name: Rotate\n  args: {limt: 3}\n")
    with pytest.raises(iv.ConfigError) as info:
        iv.load(path)
    text = str(info.value)
    assert "Rotate: Rotate" not in text and text.count("Rotate") == 1 and "did you mean 'limit'" in text


def _alias_bomb(levels: int = 8, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ",".join(["1"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    lines.append(f"pipeline: {{name: Compose, args: {{transforms: [], seed: *a{levels}}}}}")
    return "\n".join(lines) + "\n"


def test_nested_alias_bomb_is_refused_after_a_bounded_number_of_values(tmp_path, monkeypatch):
    """545 bytes naming 10**9 values ("billion laughs"): decoding used to copy every alias (> 20 s)."""
    from invariant.core import serialization

    text = _alias_bomb()
    assert len(text.encode()) < 600
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    spent = []
    real = serialization._Budget.spend

    def counting(self, where):
        spent.append(1)
        real(self, where)

    monkeypatch.setattr(serialization._Budget, "spend", counting)
    with pytest.raises(iv.ConfigError, match=r"more than 100000 values .*nested YAML aliases"):
        iv.load(path)
    assert len(spent) == serialization.MAX_CONFIG_NODES + 1  # stopped at the bound, not after 10**9


def test_configs_with_a_few_aliases_still_load(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "limits: &lim [-10, 10]\nfill: &fill 0\npipeline:\n  name: Compose\n  args:\n    transforms:\n"
        "    - {name: Rotate, args: {limit: *lim, fill: *fill, p: 1.0}}\n    - {name: Affine, args: {rotate: *lim, p: 1.0}}\n"
    )
    pipe = iv.load(path)
    assert pipe.transforms[0].limit == (-10.0, 10.0) and pipe.transforms[1].init_args()["rotate"] == (-10, 10)
