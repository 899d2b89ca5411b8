"""TTA: equivariant toy models reproduce the single view; dense outputs are mapped back correctly."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from invariant.training.tta import TTA, Chain, Crop, HFlip, Scale, VFlip, five_crops  # noqa: E402


def _image_batch() -> torch.Tensor:
    skimage = pytest.importorskip("skimage")
    img = torch.from_numpy(skimage.data.astronaut()[::8, ::8].copy()).permute(2, 0, 1).float() / 255  # 64x64 photo
    return torch.stack([img, img.flip(0)])  # two images (second: channels reversed)


def _flip_invariant_classifier() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 5)).eval()


@pytest.mark.parametrize("merge", ["mean_softmax", "mean_logits", "max"])
def test_flip_invariant_classifier_reproduces_single_view(merge: str) -> None:
    model, x = _flip_invariant_classifier(), _image_batch()
    with torch.no_grad():
        single = model(x)
        expected = single if merge == "mean_logits" else torch.softmax(single, 1)
        out = TTA(model, ["identity", "hflip", VFlip(), Chain(HFlip(), VFlip())], merge=merge)(x)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)


def test_pointwise_segmenter_reproduces_single_view_over_flips_scales_and_crops() -> None:
    """A 1x1-conv segmenter is equivariant to flips, to nearest 2x upscaling and to crops, so every
    view mapped back equals the identity prediction and the merge equals the single view."""
    torch.manual_seed(1)
    model, x = torch.nn.Conv2d(3, 4, 1).eval(), _image_batch()
    views = ["identity", "hflip", "vflip", Scale(2.0, mode="nearest"), Crop(40), *five_crops(32), Chain(HFlip(), Crop((48, 30), "top_right"))]
    with torch.no_grad():
        out = TTA(model, views, task="dense")(x)
        expected = torch.softmax(model(x), 1)
    assert out.shape == (2, 4, 64, 64)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)


def test_dense_flip_is_undone_for_a_non_equivariant_model() -> None:
    torch.manual_seed(2)
    model, x = torch.nn.Conv2d(3, 4, 5, padding=2).eval(), _image_batch()
    with torch.no_grad():
        out = TTA(model, ["hflip"], merge="mean_logits", task="dense")(x)
        expected = model(x.flip(-1)).flip(-1)
        both = TTA(model, ["identity", "hflip"], merge="mean_logits", task="dense")(x)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(both, (model(x) + expected).detach() / 2)
    assert not torch.allclose(out, model(x))  # the model really is not flip-equivariant


def test_crop_pasted_back_and_averaged_only_where_seen() -> None:
    """Identity plus a top-left 16x16 crop of a model that outputs a constant per view: inside the crop
    the merge averages both views, outside only the identity counts."""

    class Size(torch.nn.Module):
        def forward(self, x):
            return torch.full((x.shape[0], 1, *x.shape[-2:]), float(x.shape[-1]))

    out = TTA(Size(), ["identity", Crop(16, "top_left")], merge="mean_logits", task="dense")(torch.zeros(1, 3, 64, 64))
    assert float(out[0, 0, 0, 0]) == pytest.approx((64 + 16) / 2)
    assert float(out[0, 0, 20, 20]) == pytest.approx(64)


def test_bad_arguments_are_reported() -> None:
    with pytest.raises(ValueError, match="merge"):
        TTA(torch.nn.Identity(), merge="median")
    with pytest.raises(TypeError, match="views"):
        TTA(torch.nn.Identity(), views=["rotate"])
