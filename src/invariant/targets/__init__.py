"""Annotation targets: bounding-box formats, keypoints, and their movement by geometry."""

from .bboxes import BBOX_FORMATS, convert_bboxes_from, convert_bboxes_to
from .keypoints import KEYPOINT_FORMATS

__all__ = ["BBOX_FORMATS", "KEYPOINT_FORMATS", "convert_bboxes_from", "convert_bboxes_to"]
