"""Learned segments: a small torch autoencoder compresses the behaviour features, k-means or a Gaussian mixture
finds groups on the embedding (k chosen by silhouette or BIC), and a 2-D projection draws the segment map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Silhouettes of neighbouring k often differ by less than the seed moves them; within this much of the best, fewer
# segments win (each is then bigger and easier to act on).
SILHOUETTE_TOLERANCE = 0.02


def build_autoencoder(n_in: int, hidden: int, dim: int) -> Any:
    """Encoder and decoder MLPs (the encoder alone gives the embedding)."""
    import torch.nn as nn

    class AutoEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(n_in, hidden), nn.GELU(), nn.Linear(hidden, dim))
            self.decoder = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, n_in))

        def forward(self, x):  # noqa: ANN001, ANN202 - torch module
            return self.decoder(self.encoder(x))

    return AutoEncoder()


def train_autoencoder(x: np.ndarray, hidden: int, dim: int, steps: int, batch: int, lr: float, seed: int,
                      device: Any) -> tuple[Any, float]:
    """Fit the autoencoder on standardised features; returns it (on CPU, eval mode) and the final MSE."""
    import torch

    torch.manual_seed(seed)
    model = build_autoencoder(x.shape[1], hidden, dim).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    data = torch.from_numpy(x).to(device)
    gen = torch.Generator().manual_seed(seed)
    for idx in _batches(len(x), batch, steps, gen):
        xb = data[idx.to(device)]
        loss = torch.nn.functional.mse_loss(model(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model = model.cpu().eval()
    with torch.no_grad():
        mse = float(torch.nn.functional.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(x)))
    return model, mse


def _batches(n: int, batch: int, steps: int, gen: Any) -> Any:
    """`steps` shuffled mini-batches, epoch after epoch."""
    import torch

    done = 0
    while done < steps:
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            if done == steps:
                return
            yield order[i:i + batch]
            done += 1


def embed(model: Any, x: np.ndarray) -> np.ndarray:
    """Embedding of standardised features."""
    import torch

    with torch.no_grad():
        return model.encoder(torch.from_numpy(np.asarray(x, dtype=np.float32))).numpy().astype(np.float64)


@dataclass
class Clusters:
    """Cluster centres (k-means) or a diagonal Gaussian mixture, plus the 2-D projection of the embedding."""

    method: str
    centers: np.ndarray
    variances: np.ndarray | None
    weights: np.ndarray | None
    proj_mean: np.ndarray
    proj_axes: np.ndarray
    emb_mean: np.ndarray
    emb_scale: np.ndarray
    scores: dict[int, float]  # k -> silhouette (k-means) or BIC (mixture)

    @property
    def k(self) -> int:
        return len(self.centers)

    def _norm(self, emb: np.ndarray) -> np.ndarray:
        return (emb - self.emb_mean) / self.emb_scale

    def assign(self, emb: np.ndarray) -> np.ndarray:
        """Segment index of each embedding (nearest centre, or most likely mixture component)."""
        z = self._norm(emb)
        if self.method == "gmm":
            var = self.variances
            logp = (-0.5 * (((z[:, None, :] - self.centers[None]) ** 2) / var[None]).sum(-1)
                    - 0.5 * np.log(var).sum(-1)[None] + np.log(self.weights)[None])
            return logp.argmax(axis=1)
        d = ((z[:, None, :] - self.centers[None]) ** 2).sum(-1)
        return d.argmin(axis=1)

    def project(self, emb: np.ndarray) -> np.ndarray:
        """2-D coordinates for the segment map (principal axes of the embedding)."""
        return (self._norm(emb) - self.proj_mean) @ self.proj_axes.T

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for an .npz artefact."""
        out = {"centers": self.centers, "proj_mean": self.proj_mean, "proj_axes": self.proj_axes,
               "emb_mean": self.emb_mean, "emb_scale": self.emb_scale}
        if self.method == "gmm":
            out.update(variances=self.variances, weights=self.weights)
        return out

    @classmethod
    def from_arrays(cls, method: str, arrays: Any, scores: dict) -> "Clusters":
        """Inverse of to_arrays."""
        gmm = method == "gmm"
        return cls(method, arrays["centers"], arrays["variances"] if gmm else None,
                   arrays["weights"] if gmm else None, arrays["proj_mean"], arrays["proj_axes"],
                   arrays["emb_mean"], arrays["emb_scale"], {int(k): float(v) for k, v in scores.items()})


def fit_clusters(emb: np.ndarray, k_range: tuple[int, int], method: str, seed: int) -> Clusters:
    """Try every k in the range: k-means keeps the fewest segments within SILHOUETTE_TOLERANCE of the highest
    silhouette; a mixture keeps the lowest BIC."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.mixture import GaussianMixture

    mean = emb.mean(axis=0)
    scale = np.where(emb.std(axis=0) > 1e-9, emb.std(axis=0), 1.0)
    z = (emb - mean) / scale
    lo, hi = k_range
    hi = min(hi, max(lo, len(z) // 10))
    scores: dict[int, float] = {}
    models: dict[int, Any] = {}
    for k in range(lo, hi + 1):
        if method == "gmm":
            models[k] = GaussianMixture(k, covariance_type="diag", random_state=seed, n_init=2).fit(z)
            scores[k] = float(models[k].bic(z))
        else:
            models[k] = KMeans(k, n_init=4, random_state=seed).fit(z)
            scores[k] = float(silhouette_score(z, models[k].labels_, sample_size=min(len(z), 2000),
                                               random_state=seed))
    if method == "gmm":
        k = min(scores, key=lambda j: scores[j])
    else:  # the fewest segments whose silhouette is within SILHOUETTE_TOLERANCE of the best (steadier across seeds)
        top = max(scores.values())
        k = min(j for j in scores if scores[j] >= top - SILHOUETTE_TOLERANCE)
    fitted = models[k]
    # principal axes for the map (signs fixed so the picture does not flip between runs)
    centred = z - z.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2] * np.sign(vt[:2].sum(axis=1, keepdims=True) + 1e-12)
    if method == "gmm":
        return Clusters("gmm", fitted.means_, fitted.covariances_, fitted.weights_, z.mean(axis=0), axes,
                        mean, scale, scores)
    return Clusters("kmeans", fitted.cluster_centers_, None, None, z.mean(axis=0), axes, mean, scale, scores)
