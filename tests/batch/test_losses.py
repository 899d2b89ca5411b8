"""Soft cross-entropy, AugMix JSD and NT-Xent against direct computations and hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from invariant.batch import augmix_loss, jsd_consistency, nt_xent, one_hot, soft_target_cross_entropy  # noqa: E402


def test_soft_cross_entropy_equals_torch_cross_entropy_with_smoothing() -> None:
    g = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(6, 5, generator=g), torch.tensor([0, 4, 2, 2, 1, 3])
    ours = soft_target_cross_entropy(logits, one_hot(labels, 5, smoothing=0.1))
    torch.testing.assert_close(ours, F.cross_entropy(logits, labels, label_smoothing=0.1))
    with pytest.raises(ValueError, match="targets"):
        soft_target_cross_entropy(logits, labels)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_jsd_is_zero_for_identical_predictions() -> None:
    logits = torch.randn(4, 10, generator=torch.Generator().manual_seed(1))
    assert float(jsd_consistency(logits, logits.clone(), logits.clone())) == pytest.approx(0.0, abs=1e-6)


def test_jsd_matches_a_direct_numpy_computation() -> None:
    g = torch.Generator().manual_seed(2)
    a, b, c = (torch.randn(3, 4, generator=g) * 2 for _ in range(3))
    p = [_softmax(x.double().numpy()) for x in (a, b, c)]
    m = (p[0] + p[1] + p[2]) / 3
    expected = np.mean([sum((pi[n] * np.log(pi[n] / m[n])).sum() for pi in p) / 3 for n in range(3)])
    assert float(jsd_consistency(a, b, c)) == pytest.approx(expected, rel=1e-5)
    assert 0 < expected <= math.log(3)


def test_augmix_loss_is_ce_plus_weighted_js() -> None:
    g = torch.Generator().manual_seed(3)
    a, b, c = (torch.randn(5, 3, generator=g) for _ in range(3))
    y = torch.tensor([0, 1, 2, 1, 0])
    total = augmix_loss(a, b, c, y, weight=12.0)
    torch.testing.assert_close(total, F.cross_entropy(a, y) + 12.0 * jsd_consistency(a, b, c))
    a.requires_grad_(True)
    augmix_loss(a, b, c, y).backward()
    assert a.grad is not None and a.grad.abs().sum() > 0


def test_nt_xent_hand_computation_orthogonal_pairs() -> None:
    """Two images, views identical and orthogonal between images: for every anchor the positive has
    cosine 1, the two negatives cosine 0, so l = -log(e^(1/t) / (e^(1/t) + 2 e^0)) = log(1 + 2 e^(-1/t))."""
    z1 = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    z2 = torch.tensor([[2.0, 0.0], [0.0, 0.5]])  # norms differ: cosine similarity ignores them
    assert float(nt_xent(z1, z2, temperature=0.5)) == pytest.approx(math.log(1 + 2 * math.exp(-2.0)), rel=1e-6)


def test_nt_xent_hand_computation_60_degrees() -> None:
    """Anchor a=(1,0); its positive b at 60 degrees (cos 0.5); the other image's views c=(-1,0), d at 240
    degrees. Cosines from a: b 0.5, c -1, d -0.5. By symmetry every anchor has positive cosine 0.5 and
    negatives {-1, -0.5}, so l = -log(e^(0.5/t) / (e^(0.5/t) + e^(-1/t) + e^(-0.5/t)))."""
    ang = lambda d: [math.cos(math.radians(d)), math.sin(math.radians(d))]  # noqa: E731
    z1 = torch.tensor([ang(0), ang(180)])
    z2 = torch.tensor([ang(60), ang(240)])
    t = 0.2
    expected = -math.log(math.exp(0.5 / t) / (math.exp(0.5 / t) + math.exp(-1 / t) + math.exp(-0.5 / t)))
    assert float(nt_xent(z1, z2, temperature=t)) == pytest.approx(expected, rel=1e-5)


def test_nt_xent_matches_a_loop_over_anchors() -> None:
    g = torch.Generator().manual_seed(4)
    z1, z2 = torch.randn(4, 8, generator=g), torch.randn(4, 8, generator=g)
    z = np.concatenate([z1.numpy(), z2.numpy()]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    losses = []
    for i in range(8):
        j = (i + 4) % 8
        den = sum(np.exp(z[i] @ z[k] / 0.1) for k in range(8) if k != i)
        losses.append(-np.log(np.exp(z[i] @ z[j] / 0.1) / den))
    assert float(nt_xent(z1, z2, temperature=0.1)) == pytest.approx(np.mean(losses), rel=1e-5)
    with pytest.raises(ValueError, match="temperature"):
        nt_xent(z1, z2, temperature=0)
