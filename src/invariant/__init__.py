"""invariant: image augmentation that declares, checks and executes the invariances of a task."""

from __future__ import annotations

from .core.version import __version__

from .core.compose import Compose, Container, OneOf, RandomApply, Sequential, SomeOf
from .core.errors import TorchMissingError
from .core.rng import derive_rng
from .core.schedule import Cosine, Custom, Linear, Schedule, Step
from .core.serialization import ConfigError, from_dict, load, save, to_dict
from .core.transform import REGISTRY, SpatialTransform, Transform
from .transforms.crops import CenterCrop, RandomCrop, RandomResizedCrop, Resize
from .transforms.flips import HorizontalFlip, VerticalFlip
from .transforms.geometric import Affine, Perspective, RandomRotate90, Rotate, ShiftScaleRotate, Transpose
from .transforms.distortions import ElasticTransform, GridDistortion, OpticalDistortion
from .transforms.lambda_ import Lambda
from .transforms.intensity import AutoContrast, Equalize, Invert, Posterize, RandomBrightnessContrast, RandomGamma, RGBShift, Solarize
from .transforms.color import CLAHE, ChannelShuffle, ColorJitter, HueSaturationValue, RandomGrayscale, Sharpness, ToGray, ToSepia
from .transforms.blur_noise import GaussianBlur, GaussNoise, ISONoise, MedianBlur, MotionBlur, UnsharpMask
from .transforms.degrade import Downscale, ImageCompression
from .transforms.dropout import CoarseDropout, CutOut, RandomErasing
from .transforms.channels import OnChannels
from .transforms.normalize import IMAGENET_MEAN, IMAGENET_STD, Normalize, ToTensor, compute_stats
from .transforms.depth import DepthHoles, DepthNoise, DepthNormalize
from .transforms.scale import CropAndPad, LongestMaxSize, Pad, PadIfNeeded, RandomScale, RandomSizedCrop, ScaleJitter, SmallestMaxSize
from .transforms.detection_crops import AtLeastOneBBoxRandomCrop, BBoxSafeRandomCrop, CropNonEmptyMaskIfExists, RandomIoUCrop, RandomSizedBBoxSafeCrop
from .transforms.multi_sample import CopyPaste, Mosaic
from .transforms.weather import FancyPCA, Illumination, PlanckianJitter, PlasmaBrightnessContrast, PlasmaShadow, RandomFog, RandomRain, RandomShadow, RandomSnow, RandomSunFlare, RandomToneCurve
from .transforms.dropout_extra import ChannelDropout, ConstrainedCoarseDropout, GridDropout, MaskDropout, PixelDropout, XYMasking
from .transforms.optics import AdvancedBlur, Blur, ChromaticAberration, Defocus, Emboss, GlassBlur, RingingOvershoot, Sharpen, Superpixels, ZoomBlur
from .transforms.noise import MultiplicativeNoise, SaltAndPepper, ShotNoise, SpeckleNoise
from .transforms.nonrigid import GridElasticDeform, ThinPlateSpline
from .transforms.domain_adaptation import FDA, HistogramMatching, PixelDistributionAdaptation
from .policies import AugMix, AutoAugment, RandAugment, TrivialAugmentWide
from .policies import PBAPolicy
from .domains import DomainWarning, Report, Task, Violation, check
from .domains import presets
from .targets.keypoints import COCO_PERSON, COCO_PERSON_KEYPOINTS, KeypointSchema


def available_transforms() -> list[str]:
    """Names of every registered transform (what configs may name)."""
    return sorted(REGISTRY)


_BATCH_NAMES = ("MixUp", "CutMix", "MixUpCutMix", "MixCollate", "one_hot", "soft_target_cross_entropy", "jsd_consistency", "augmix_loss", "nt_xent")


def __getattr__(name: str):  # lazy torch-only helpers keep `import invariant` free of torch
    if name in ("AugmentedDataset",):
        from .training import dataset

        return getattr(dataset, name)
    if name in ("io", "make_loader", "DeviceNormalize", "ImageFolderDataset", "ManifestDataset", "CocoDetectionDataset"):
        import importlib

        io = importlib.import_module(".io", __name__)
        return io if name == "io" else getattr(io, name)
    if name in _BATCH_NAMES:  # torch-only: batch mixing and losses
        from . import batch

        return getattr(batch, name)
    if name in ("TTA", "MultiViewDataset", "AugMixDataset", "simclr_pipeline"):
        import importlib

        return getattr(importlib.import_module(".training.tta" if name == "TTA" else ".training.ssl", __name__), name)
    if name in _TOOL_NAMES:  # training tools behind the CLI (demo, preview, ablate, tune, adapters)
        import importlib

        return getattr(importlib.import_module(f".training.{_TOOL_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'invariant' has no attribute {name!r}")


_TOOL_NAMES = {
    "save_grid": "preview", "write_preview": "preview", "preview_pipeline": "preview",
    "ablate": "ablation", "tune": "tuning", "train_model": "trainer", "small_cnn": "models", "run_demo": "demo",
    "from_folder": "adapters", "from_arrays": "adapters", "from_torch_dataset": "adapters", "split_validation": "adapters",
    "LabelledImages": "adapters", "load_split": "datasets_builtin",
}  # fmt: skip
