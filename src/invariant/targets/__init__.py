"""Annotation targets: bounding-box formats, keypoints, and their movement by geometry."""

from .bboxes import BBOX_FORMATS, convert_bboxes_from, convert_bboxes_to
from .keypoints import KEYPOINT_FORMATS
from .oriented_bboxes import OBB_FORMATS, obb_to_aabb
from .polygons import PolygonTarget

__all__ = ["BBOX_FORMATS", "KEYPOINT_FORMATS", "convert_bboxes_from", "convert_bboxes_to"]
__all__ += ["OBB_FORMATS", "PolygonTarget", "obb_to_aabb"]
