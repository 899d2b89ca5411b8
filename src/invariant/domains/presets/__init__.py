"""Presets: documented pipelines per data type, each returned with its task declaration.

Every function returns ``(pipeline, task)``; the pipeline is built with ``Compose(..., task=task)``, so
it has passed ``iv.check`` against its own task. See docs/domains.md for the table (preset -> transforms
-> why).
"""

from .depth import depth, depth_task, rgbd, rgbd_task
from .medical import xray, xray_task
from .natural import CIFAR10_MEAN, CIFAR10_STD, cifar, curriculum, imagenet_train, imagenet_val, natural_task, simclr, two_views
from .satellite import satellite, satellite_task
from .video import augment_clip, video, video_task

__all__ = [
    "CIFAR10_MEAN", "CIFAR10_STD", "augment_clip", "cifar", "curriculum", "depth", "depth_task", "imagenet_train",
    "imagenet_val", "natural_task", "rgbd", "rgbd_task", "satellite", "satellite_task", "simclr", "two_views",
    "video", "video_task", "xray", "xray_task",
]
