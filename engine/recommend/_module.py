"""The recommender as a torch module: an EASE item-item model mixed with feature affinities (name embedding,
category, price band), popularity, review sentiment and repeat purchase. Every term is linear or bilinear in the
customer's history vector and the product's feature vector, so Captum attributes a score to both exactly."""

from __future__ import annotations

import torch
from torch import nn

from ._terms import MODES


def fit_ease(gram: torch.Tensor, lam: float) -> torch.Tensor:
    """EASE (Steck 2019) item-item weights from the item Gram matrix: B = I - P diagMat(1/diag(P)), diag(B) = 0."""
    g = gram.double().clone()
    g.diagonal().add_(lam)
    p = torch.linalg.inv(g)
    b = -p / p.diagonal().unsqueeze(0)
    b.diagonal().zero_()
    return b.float().contiguous()  # LAPACK's inverse is column-major; row gathers must stay cheap


def cosine_item_knn(gram: torch.Tensor) -> torch.Tensor:
    """Item-kNN baseline: cosine similarity of items' co-purchase vectors, self-similarity removed."""
    norm = gram.diagonal().clamp_min(1e-12).sqrt()
    s = gram / norm.unsqueeze(0) / norm.unsqueeze(1)
    s = s.clone()
    s.diagonal().zero_()
    return s.float()


class HybridScorer(nn.Module):
    """score(x, f_j) = w · [x·B[:,j], (xT)·t_j, (xC)·c_j, (xP)·p_j, pop_j, sent_j, x_j] for history x.

    `forward` is what Captum attributes through (inputs: the history vector and the product's feature vector
    [text | category one-hot | price-band one-hot | popularity | sentiment]); `score_all` gives the same scores
    for every item at once, for ranking.
    """

    def __init__(self, ease: torch.Tensor, text: torch.Tensor, cat: torch.Tensor, band: torch.Tensor,
                 pop: torch.Tensor, sent: torch.Tensor, weights: dict[str, list[float]]) -> None:
        super().__init__()
        self.register_buffer("ease", ease.float().contiguous())
        self.register_buffer("text", text.float().contiguous())
        self.register_buffer("cat", cat.float())
        self.register_buffer("band", band.float())
        self.register_buffer("pop", pop.float())
        self.register_buffer("sent", sent.float())
        self.weights = {m: torch.tensor(weights[m], dtype=torch.float32) for m in MODES}
        self.widths = (text.shape[1], cat.shape[1], band.shape[1], 1, 1)

    def item_features(self, items: torch.Tensor) -> torch.Tensor:
        """The feature vectors of `items` (rows), the second input Captum attributes to."""
        return torch.cat([self.text[items], self.cat[items], self.band[items], self.pop[items, None],
                          self.sent[items, None]], dim=1)

    def split_features(self, f: torch.Tensor) -> list[torch.Tensor]:
        """Feature vector → its five blocks."""
        return list(torch.split(f, list(self.widths), dim=1))

    def terms(self, x: torch.Tensor, f: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Unweighted term values, (batch, len(TERMS))."""
        ft, fc, fb, fp, fs = self.split_features(f)
        co = (x * self.ease.index_select(1, items).T).sum(1)  # index_select: a strided column gather is slow
        name = ((x @ self.text) * ft).sum(1)
        cat = ((x @ self.cat) * fc).sum(1)
        band = ((x @ self.band) * fb).sum(1)
        rep = x.gather(1, items.view(-1, 1)).squeeze(1)
        return torch.stack([co, name, cat, band, fp.squeeze(1), fs.squeeze(1), rep], dim=1)

    def forward(self, x: torch.Tensor, f: torch.Tensor, items: torch.Tensor, mode: str = "discovery") -> torch.Tensor:
        """Score of item `items[b]` for history `x[b]` with that item's features `f[b]`."""
        return self.terms(x, f, items) @ self.weights[mode].to(x.device)

    def component_scores(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each term for every item, (batch, n_items) per term, in TERMS order."""
        n = self.ease.shape[0]
        return [
            x @ self.ease,
            (x @ self.text) @ self.text.T if self.text.shape[1] else x.new_zeros(x.shape[0], n),
            (x @ self.cat) @ self.cat.T if self.cat.shape[1] else x.new_zeros(x.shape[0], n),
            (x @ self.band) @ self.band.T if self.band.shape[1] else x.new_zeros(x.shape[0], n),
            self.pop.expand(x.shape[0], n),
            self.sent.expand(x.shape[0], n),
            x,
        ]

    def score_all(self, x: torch.Tensor, mode: str = "discovery") -> torch.Tensor:
        """Scores of every item for each history row (equal to forward item by item)."""
        w = self.weights[mode].tolist()
        out = torch.zeros(x.shape[0], self.ease.shape[0], dtype=x.dtype, device=x.device)
        for weight, comp in zip(w, self.component_scores(x)):
            if weight:
                out += weight * comp
        return out

    def history_rows(self, hist: torch.Tensor, mode: str = "discovery") -> torch.Tensor:
        """The score rows each past item adds per unit of history weight, (len(hist), n_items).

        Every history-dependent term is linear in x, so for x supported on `hist`,
        score_all(x) = x[:, hist] @ history_rows(hist) + the popularity and review terms: counterfactuals re-score
        many edited histories of one customer at the cost of one small product.
        """
        w = self.weights[mode].tolist()
        rows = w[0] * self.ease.index_select(0, hist)
        for weight, feats in ((w[1], self.text), (w[2], self.cat), (w[3], self.band)):
            if weight and feats.shape[1]:
                rows = rows + weight * (feats.index_select(0, hist) @ feats.T)
        if w[6]:
            rows = rows.clone()
            rows[torch.arange(len(hist), device=rows.device), hist] += w[6]
        return rows

    def score_from_rows(self, xh: torch.Tensor, rows: torch.Tensor, mode: str = "discovery") -> torch.Tensor:
        """score_all for histories given on the columns of history_rows (xh: batch × len(hist))."""
        w = self.weights[mode].tolist()
        return xh @ rows + (w[4] * self.pop + w[5] * self.sent).unsqueeze(0)
