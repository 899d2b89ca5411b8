"""The explore server's API: schemas for every transform, rendering, the task check, timing and fusion,
export/import round trips, bad input answered with the library's own error, and the security rules."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

import invariant as iv
from invariant.core.compose import Compose
from invariant.core.serialization import from_dict
from invariant.core.transform import library_transforms
from invariant.explore.render import build_steps, execute_timed, export, run_once, task_from
from invariant.explore.schema import transform_schemas

VOC = "sample:voc"


def _png(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return cv2.imdecode(np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)


# -- schemas ---------------------------------------------------------------------------------------------------
def test_every_library_transform_has_a_schema_whose_defaults_build():
    schemas = {s["name"]: s for s in transform_schemas()}
    assert set(schemas) == set(library_transforms())
    for name, schema in schemas.items():
        args = {a["name"]: a["default"] for a in schema["args"]}
        json.dumps(args)  # the page holds them as JSON
        built = from_dict({"name": name, "args": args})
        assert type(built).__name__ == name
        assert any(a["name"] == "p" and a["control"] == "slider" for a in schema["args"]) or name in ("OnChannels",) or "p" in args


def test_controls_come_from_the_constructors_declared_checks():
    schemas = {s["name"]: {a["name"]: a for a in s["args"]} for s in transform_schemas()}
    hue = schemas["ColorJitter"]["hue"]  # as_range(hue, around=0, low=-0.5, high=0.5): |x| <= 0.5
    assert (hue["control"], hue["low"], hue["high"], hue["declared"]) == ("slider", 0.0, 0.5, True)
    std = schemas["GaussNoise"]["std_range"]  # as_range(low=0, high=1) on a (min, max) pair
    assert (std["control"], std["low"], std["high"]) == ("range", 0.0, 1.0)
    interp = schemas["Rotate"]["interpolation"]
    assert interp["control"] == "choice" and interp["choices"] == list(iv.core.transform.INTERPOLATION_NAMES)
    assert schemas["PolicyPixelOp"]["op"]["control"] == "choice" and "Solarize" in schemas["PolicyPixelOp"]["op"]["choices"]
    assert schemas["Rotate"]["crop_border"]["control"] == "bool"
    assert schemas["HorizontalFlip"]["p"]["control"] == "slider"


def test_recording_the_checks_leaves_the_library_unchanged():
    from invariant.core import transform as core
    from invariant.transforms import blur_noise

    transform_schemas.cache_clear()
    transform_schemas()
    assert blur_noise.as_range is core.as_range  # the recording wrappers were removed


# -- rendering, timing, fusion -----------------------------------------------------------------------------------
PIPELINES = [
    [iv.RandomResizedCrop(96, scale=(0.3, 1.0)), iv.HorizontalFlip(p=0.5)],  # resize + flips: op by op
    [iv.Rotate(limit=20, p=1), iv.Affine(scale=(0.8, 1.2), p=1), iv.CenterCrop(120)],  # one resampling
    [iv.RandomBrightnessContrast(p=1), iv.RandomGamma(p=1), iv.Solarize(p=1), iv.Normalize()],  # one table
    [iv.ElasticTransform(p=1), iv.GridDistortion(p=1), iv.GaussianBlur(p=1)],  # fields
    [iv.Rotate(p=1)],
]


@pytest.mark.parametrize("transforms", PIPELINES, ids=lambda ts: "+".join(type(t).__name__ for t in ts))
def test_timed_execution_equals_the_pipelines_own_call(transforms):
    from invariant.training.preview import default_samples

    sample = default_samples()[0][0]
    pipe = Compose(transforms, bbox_format="pascal_voc")
    for k in range(3):
        expected = pipe(**sample, rng=np.random.default_rng(k))
        got, plan, alone, groups, _ = run_once(pipe, sample, np.random.default_rng(k))
        for key in ("image", "masks", "bboxes", "keypoints"):
            assert np.array_equal(np.asarray(got[key]), np.asarray(expected[key])), key
        assert len(alone) == len(plan)
        assert [g[1] for g in groups] == sorted(g[1] for g in groups) and (not groups or groups[-1][2] == len(plan))


def test_fused_groups_are_reported():
    from invariant.data import load_photo

    image = load_photo("astronaut")
    pipe = Compose([iv.Rotate(limit=20, p=1), iv.Affine(scale=(0.8, 1.2), p=1), iv.RandomBrightnessContrast(p=1), iv.RandomGamma(p=1)])
    plan = pipe.plan(rng=np.random.default_rng(0), image=image)
    kinds = [(g[0], g[1], g[2]) for g in execute_timed(plan)]
    assert kinds == [("resampling", 0, 2), ("table", 2, 4)]


def test_render_draws_the_grid_checks_the_task_and_times_the_steps(serve):
    client = serve()
    pipeline = [
        {"name": "Rotate", "args": {"limit": 30, "p": 1}, "enabled": True},
        {"name": "Affine", "args": {"scale": [0.9, 1.1], "p": 1}, "enabled": True},
        {"name": "HorizontalFlip", "args": {"p": 0.5}, "enabled": True},
        {"name": "VerticalFlip", "args": {"p": 1}, "enabled": False},
    ]
    status, out = client.post("/api/render", {"pipeline": pipeline, "images": [VOC], "n": 3, "seed": 1, "task": "xray"})
    assert status == 200, out
    row = out["rows"][0]
    assert len(row["samples"]) == 3 and row["id"] == VOC
    tiles = [_png(s) for s in row["samples"]]
    assert all(t.shape[2] == 3 and max(t.shape[:2]) == 224 for t in tiles)
    assert len({hashlib.sha1(t.tobytes()).hexdigest() for t in tiles}) == 3  # three different draws
    by_step = {v["step"]: v for v in out["check"]["violations"]}
    assert by_step[2]["property"] == "laterality" and "drop it" in by_step[2]["fix"]  # page index of HorizontalFlip
    assert by_step[0]["property"] == "orientation" and "limit=" in by_step[0]["fix"]
    assert 3 not in by_step  # the disabled step is not part of the pipeline
    timing = out["timing"]
    assert timing["calls"] == 3 and {s["step"] for s in timing["steps"]} == {0, 1, 2}
    assert any(f["kind"] == "resampling" and f["steps"][:2] == [0, 1] for f in timing["fused"])
    # a fixed seed gives the same grid; another seed another one
    _, again = client.post("/api/render", {"pipeline": pipeline, "images": [VOC], "n": 3, "seed": 1})
    _, other = client.post("/api/render", {"pipeline": pipeline, "images": [VOC], "n": 3, "seed": 2})
    assert again["rows"][0]["samples"] == row["samples"] and other["rows"][0]["samples"] != row["samples"]
    assert again["check"]["checked"] is False  # no task: nothing checked, and the report says so


def test_bad_arguments_come_back_with_the_librarys_error_and_the_argument(serve):
    client = serve()
    pipeline = [{"name": "GaussNoise", "args": {"std_range": [0.5, 2.0]}}, {"name": "Rotate", "args": {"limit": "x"}}, {"name": "HorizontalFlip", "args": {}}]
    status, out = client.post("/api/render", {"pipeline": pipeline, "images": [VOC], "n": 1})
    assert status == 200
    errors = out["step_errors"]
    assert errors["0"]["argument"] == "std_range" and "expected values within [0.0, 1.0]" in errors["0"]["message"] and "Fix:" in errors["0"]["message"]
    assert errors["1"]["argument"] == "limit" and "Fix:" in errors["1"]["message"]
    assert len(out["rows"][0]["samples"]) == 1  # the rest still renders
    status, out = client.post("/api/render", {"pipeline": [{"name": "NoSuchThing", "args": {}}], "images": [VOC], "n": 1})
    assert status == 200 and "unknown transform 'NoSuchThing'" in out["step_errors"]["0"]["message"]
    status, out = client.post("/api/render", {"pipeline": [{"name": "ToTensor"}, {"name": "HorizontalFlip"}], "images": [VOC], "n": 1})
    assert "ToTensor as the last transform" in out["pipeline_error"]
    status, out = client.post("/api/render", {"pipeline": [], "images": ["folder:../../etc/passwd"], "n": 1})
    assert status == 400 and "pick images from the list" in out["error"]
    status, out = client.post("/api/render", {"pipeline": [], "images": [VOC], "n": 1000})
    assert status == 400 and out["error"].startswith("n: expected an integer in [0, 24]")
    # the server is still up
    assert client.request("GET", "/api/state")[0] == 200


def test_an_image_that_fails_to_decode_is_refused_with_the_decoders_error(serve, tmp_path):
    client = serve()
    status, out, _ = client.request("POST", "/api/upload?name=broken.png", raw=b"\x89PNG not really", headers={"Content-Type": "application/octet-stream"})
    assert status == 400 and "could not decode" in out["error"] and "broken.png" in out["error"]
    ok, png = cv2.imencode(".png", np.full((40, 60, 3), 200, np.uint8))
    status, out, _ = client.request("POST", "/api/upload?name=grey.png", raw=png.tobytes(), headers={"Content-Type": "application/octet-stream"})
    assert status == 200
    status, render = client.post("/api/render", {"pipeline": [], "images": [out["image"]["id"]], "n": 1})
    assert render["rows"][0]["shape"] == [40, 60, 3]


# -- export and import -------------------------------------------------------------------------------------------
def test_export_yaml_loads_with_iv_load_and_python_builds_the_same_pipeline(serve, tmp_path):
    client = serve()
    pipeline = [
        {"name": "RandomResizedCrop", "args": {"size": [128, 128], "scale": [0.5, 1.0]}},
        {"name": "OneOf", "args": {"transforms": [{"name": "Rotate", "args": {"limit": 10}}, {"name": "GaussianBlur", "args": {}}]}},
        {"name": "ColorJitter", "args": {"brightness": 0.3, "hue": 0.05, "p": 0.8}},
        {"name": "HorizontalFlip", "args": {}, "enabled": False},
    ]
    status, out = client.post("/api/export", {"pipeline": pipeline, "task": "natural"})
    assert status == 200, out
    path = tmp_path / "pipe.yaml"
    path.write_text(out["yaml"])
    loaded = iv.load(path)
    assert [type(t).__name__ for t in loaded.transforms] == ["RandomResizedCrop", "OneOf", "ColorJitter"]
    assert loaded.task is not None and loaded.task.name == "natural images"  # the pipeline passes it, so it is attached
    namespace: dict = {}
    exec(compile(out["python"], "pipeline.py", "exec"), namespace)  # noqa: S102 - the export's own text
    assert iv.to_dict(namespace["pipe"])["pipeline"]["args"]["transforms"] == iv.to_dict(loaded)["pipeline"]["args"]["transforms"]
    # importing the YAML gives back the same steps
    status, back = client.post("/api/import", {"yaml": out["yaml"]})
    assert [s["name"] for s in back["steps"]] == ["RandomResizedCrop", "OneOf", "ColorJitter"] and back["task"]["name"] == "natural images"


def test_export_with_a_violated_task_leaves_the_task_out_and_says_so():
    built = build_steps([{"name": "VerticalFlip", "args": {}}])
    out = export(built, task_from("natural"))
    assert out["yaml"].startswith("# task 'natural images' not attached")
    assert yaml.safe_load(out["yaml"])["pipeline"]["args"]["task"] is None  # loads without refusing itself


def test_a_yaml_that_does_not_load_comes_back_with_the_librarys_error(serve):
    client = serve()
    status, out = client.post("/api/import", {"yaml": "pipeline: [\n  bad"})
    assert status == 400 and "not valid YAML" in out["error"] and "line" in out["error"]
    status, out = client.post("/api/import", {"yaml": "pipeline:\n  name: Compose\n  args:\n    transforms:\n    - name: Rotat\n"})
    assert status == 400 and "did you mean 'Rotate'" in out["error"] and "line 5" in out["error"]


def test_config_folder_and_task_from_the_command_line(serve, tmp_path):
    config = tmp_path / "pipe.yaml"
    iv.save(iv.Compose([iv.Rotate(limit=5)], min_area=4.0), config)
    images = tmp_path / "imgs"
    (images / "cats").mkdir(parents=True)
    cv2.imwrite(str(images / "cats" / "a.png"), np.zeros((30, 20, 3), np.uint8))
    (images / "notes.txt").write_text("not an image")
    client = serve(config=config, images=images, task="xray", samples=False)
    status, state, _ = client.request("GET", "/api/state")
    assert [i["id"] for i in state["images"]] == ["folder:cats/a.png"]
    assert state["steps"][0]["name"] == "Rotate" and state["settings"] == {"min_area": 4.0} and state["task"] == "xray"
    _, out = client.post("/api/export", {"pipeline": state["steps"], "task": None})
    (tmp_path / "back.yaml").write_text(out["yaml"])
    assert iv.load(tmp_path / "back.yaml").min_area == 4.0  # the CONFIG's Compose settings survive the round trip


def test_coco_file_images_boxes_and_masks(serve, tmp_path):
    cv2.imwrite(str(tmp_path / "img.png"), np.full((60, 80, 3), 90, np.uint8))
    coco = {
        "images": [{"id": 1, "file_name": "img.png", "height": 60, "width": 80}, {"id": 2, "file_name": "../outside.png", "height": 5, "width": 5}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 20], "segmentation": [[10, 10, 40, 10, 40, 30, 10, 30]], "keypoints": [20, 20, 2]}],
        "categories": [{"id": 1, "name": "thing"}],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    (tmp_path.parent / "outside.png").write_bytes(cv2.imencode(".png", np.zeros((5, 5, 3), np.uint8))[1].tobytes())
    client = serve(coco=tmp_path / "coco.json", samples=False)
    _, state, _ = client.request("GET", "/api/state")
    assert [i["id"] for i in state["images"]] == ["coco:img.png"]  # the entry pointing outside the folder is not listed
    assert "1 boxes" in state["images"][0]["annotations"]
    _, out = client.post("/api/render", {"pipeline": [{"name": "HorizontalFlip", "args": {"p": 1}}], "images": ["coco:img.png"], "n": 1, "max_side": 0})
    sample = _png(out["rows"][0]["samples"][0])
    original = _png(out["rows"][0]["original"])
    drawn = lambda tile: np.nonzero((tile != 90).any(axis=2))[1].mean()  # noqa: E731 - mean column of drawn box/mask/keypoint
    assert drawn(original) < 30 and abs(drawn(sample) - (80 - drawn(original))) < 3  # they moved with the flip


def test_symlinks_leaving_the_folder_are_not_listed(serve, tmp_path):
    images = tmp_path / "imgs"
    images.mkdir()
    secret = tmp_path / "secret.png"
    cv2.imwrite(str(secret), np.zeros((4, 4, 3), np.uint8))
    os.symlink(secret, images / "link.png")
    cv2.imwrite(str(images / "in.png"), np.zeros((4, 4, 3), np.uint8))
    client = serve(images=images, samples=False)
    _, state, _ = client.request("GET", "/api/state")
    assert [i["id"] for i in state["images"]] == ["folder:in.png"]


# -- security ----------------------------------------------------------------------------------------------------
def test_requests_for_other_hosts_and_from_other_origins_are_refused(serve):
    client = serve(samples=False)
    status, out, _ = client.request("GET", "/", headers={"Host": "attacker.example:80"})
    assert status == 403 and "Host" in out["error"]
    status, out, _ = client.request("GET", "/api/state", headers={"Host": f"attacker.example:{client.port}"})  # DNS rebinding
    assert status == 403
    status, out, _ = client.request("POST", "/api/render", {"pipeline": []}, headers={"Origin": "http://attacker.example"})
    assert status == 403 and "Origin" in out["error"]
    status, _, _ = client.request("POST", "/api/render", {"pipeline": [], "n": 0}, headers={"Origin": f"http://localhost:{client.port}"})
    assert status == 200
    status, out, _ = client.request("POST", "/api/render", raw=b"{}", headers={"Content-Type": "text/plain"})
    assert status == 415  # a cross-site form post cannot send JSON
    status, page, headers = client.request("GET", "/")
    assert status == 200 and b"app.js" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    assert client.request("GET", "/../../etc/passwd")[0] == 404


def test_the_page_loads_nothing_from_the_internet():
    static = Path(iv.__file__).parent / "explore" / "static"
    for path in static.iterdir():
        text = path.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path.name


def test_server_binds_localhost_only_and_refuses_a_bad_port():
    from invariant.explore import make_server

    server = make_server(samples=False)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()
    with pytest.raises(ValueError, match="port"):
        make_server(samples=False, port=70000)
    with pytest.raises(ValueError, match="task: expected one of"):
        make_server(samples=False, task="nope")
