"""Losses that go with batch augmentation: soft-target cross-entropy (MixUp/CutMix/label smoothing),
the AugMix Jensen-Shannon consistency loss, and SimCLR's NT-Xent."""

from __future__ import annotations

from typing import Any

from ..core.errors import require_torch, type_error, value_error

torch = require_torch("invariant.batch (MixUp, CutMix and the batch losses)")
F = torch.nn.functional

REDUCTIONS = ("mean", "sum", "none")


def _reduce(values: Any, reduction: str) -> Any:
    if reduction not in REDUCTIONS:
        value_error("reduction", f"one of {REDUCTIONS}", reduction, "pass reduction='mean'")
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def soft_target_cross_entropy(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """``-sum_k targets_k * log_softmax(logits)_k`` per sample. Targets are probability rows
    (the output of MixUp/CutMix or ``one_hot(..., smoothing)``); integer labels are rejected."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        value_error("logits", "a (B, num_classes) tensor", logits, "pass the model's class scores")
    if not isinstance(targets, torch.Tensor) or targets.shape != logits.shape or not targets.is_floating_point():
        value_error("targets", f"float soft targets of shape {tuple(logits.shape)}", targets, "build them with iv.one_hot(labels, num_classes) or use F.cross_entropy for integer labels")
    return _reduce(-(targets * F.log_softmax(logits, dim=1)).sum(dim=1), reduction)


def _probs(logits: Any, name: str) -> Any:
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        value_error(name, "a (B, num_classes) tensor of logits", logits, "pass the model's class scores for this view")
    return F.softmax(logits, dim=1)


def jsd_consistency(logits_clean: Any, logits_aug1: Any, logits_aug2: Any, eps: float = 1e-7) -> Any:
    """Jensen-Shannon divergence among the three predictive distributions, batch mean:
    ``JS = (KL(p0||M) + KL(p1||M) + KL(p2||M)) / 3`` with ``M = (p0 + p1 + p2) / 3``
    (M clamped to ``[eps, 1]`` before the log, as in the AugMix reference code)."""
    probs = [_probs(x, n) for x, n in ((logits_clean, "logits_clean"), (logits_aug1, "logits_aug1"), (logits_aug2, "logits_aug2"))]
    if not probs[0].shape == probs[1].shape == probs[2].shape:
        value_error("logits_aug1, logits_aug2", f"the shape of logits_clean {tuple(probs[0].shape)}", logits_aug1, "pass the three views of the same batch")
    log_mixture = torch.clamp((probs[0] + probs[1] + probs[2]) / 3.0, eps, 1.0).log()
    return sum(F.kl_div(log_mixture, p, reduction="batchmean") for p in probs) / 3.0


def augmix_loss(logits_clean: Any, logits_aug1: Any, logits_aug2: Any, labels: Any, weight: float = 12.0, label_smoothing: float = 0.0) -> Any:
    """AugMix objective ``CE(clean, labels) + weight * JS(p_clean, p_aug1, p_aug2)`` (Hendrycks et al.
    2020; the reference code uses weight 12). ``labels`` are class indices or soft targets."""
    if isinstance(labels, torch.Tensor) and labels.is_floating_point():
        ce = soft_target_cross_entropy(logits_clean, labels)
    elif isinstance(labels, torch.Tensor):
        ce = F.cross_entropy(logits_clean, labels, label_smoothing=float(label_smoothing))
    else:
        type_error("labels", "a tensor of class indices or soft targets", labels, "pass the batch's labels as a tensor")
    return ce + float(weight) * jsd_consistency(logits_clean, logits_aug1, logits_aug2)


def nt_xent(z1: Any, z2: Any, temperature: float = 0.5, reduction: str = "mean") -> Any:
    """SimCLR's NT-Xent loss for two views ``(N, D)`` of the same N images.

    For each of the 2N embeddings ``i`` with positive ``j`` (the other view of its image):
    ``l_i = -log( exp(sim(z_i, z_j)/t) / sum_{k != i} exp(sim(z_i, z_k)/t) )`` with cosine ``sim``;
    the loss averages ``l_i`` over all 2N anchors (Chen et al. 2020, eq. 1)."""
    for name, z in (("z1", z1), ("z2", z2)):
        if not isinstance(z, torch.Tensor) or z.ndim != 2:
            value_error(name, "a (N, D) tensor of embeddings", z, "flatten the projection head output to (N, D)")
    if z1.shape != z2.shape or z1.shape[0] < 2:
        value_error("z2", f"the shape of z1 {tuple(z1.shape)} with N >= 2", z2, "pass two views of the same batch (at least 2 images)")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
        value_error("temperature", "a positive number", temperature, "pass e.g. temperature=0.5 (SimCLR) or 0.07")
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    sim = z @ z.t() / float(temperature)
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return _reduce(F.cross_entropy(sim, positives, reduction="none"), reduction)
