"""The global forecasting network: one MLP over scaled history windows of every series plus the calendar of the
periods ahead, correcting the window's same-weekday median, predicting p10/p50/p90 (ordered by construction, never
below zero for a series that never was) and the mean, trained with the pinball loss. Imported only when a forecast
is made."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from engine.models import Progress, no_progress, pick_device

from ._config import ForecastConfig

QUANTILES = (0.1, 0.5, 0.9)
NEG_SHARE = 0.02  # a series with at most this share of periods below zero (a rare day of returns) is non-negative
_BETA = 20.0  # sharpness of the non-negative outputs' softplus, in units of the window's mean level
_MEAN_WEIGHT = 0.1  # the mean head's squared error beside the three pinball losses


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread: this network is too small to gain from intra-op threads, and on a busy 2-core
    machine two threads made training 10-18x slower (0.8 s vs 14.7 s for 200 steps)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class QuantileMLP(nn.Module):
    """Window + mask + calendar ahead + log scale -> (horizon, 4): p10 <= p50 <= p90 and the mean.

    The MLP corrects a fixed base, the median of the same weekday over the window: a strong, spike-proof forecast
    to start from (a weekday mean turned one big order into a raised forecast for weeks). A series that has (almost)
    never gone below zero gets a non-negative output distribution, trained as such: its median and mean pass
    through a sharp softplus and its p10 is a learned fraction of the median, so its band never reaches below zero
    and the pinball loss calibrates it where it stands (no clipping afterwards).
    """

    def __init__(self, window: int, horizon: int, n_cal: int, hidden: int, layers: int, dropout: float,
                 season: int = 1) -> None:
        super().__init__()
        self.window, self.horizon, self.season = window, horizon, season
        n_in = 2 * window + horizon * n_cal + 2
        blocks: list[nn.Module] = []
        width = n_in
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(hidden, horizon * 4)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, cal: torch.Tensor, log_scale: torch.Tensor,
                nonneg: torch.Tensor) -> torch.Tensor:
        z = torch.cat([x, mask, cal.flatten(1), log_scale[:, None], nonneg.float()[:, None]], dim=1)
        out = self.head(self.body(z)).view(-1, self.horizon, 4)
        base = seasonal_median(x, mask, self.horizon, self.season)
        p50 = base + out[..., 1]
        signed = torch.stack([p50 - nn.functional.softplus(out[..., 0]) - 1e-4, p50,
                              p50 + nn.functional.softplus(out[..., 2]) + 1e-4, base + out[..., 3]], dim=-1)
        p50_pos = nn.functional.softplus(p50, beta=_BETA)
        positive = torch.stack([p50_pos * torch.sigmoid(out[..., 0]), p50_pos,
                                p50_pos + nn.functional.softplus(out[..., 2]) + 1e-4,
                                nn.functional.softplus(base + out[..., 3], beta=_BETA)], dim=-1)
        return torch.where(nonneg[:, None, None], positive, signed)


def seasonal_median(x: torch.Tensor, mask: torch.Tensor, horizon: int, season: int) -> torch.Tensor:
    """(batch, horizon): for each target, the median of the window's periods in the same season position (the same
    weekday over the last weeks); without a whole season in the window, the median of its last 8 periods."""
    window = x.shape[1]
    m = season if 1 < season <= window else 1
    k = window // m if m > 1 else min(8, window)
    recent = torch.where(mask[:, window - k * m:] > 0, x[:, window - k * m:], torch.nan).view(-1, k, m)
    med = torch.nan_to_num(torch.nanmedian(recent, dim=1).values, nan=0.0)  # (batch, m)
    return med[:, torch.arange(horizon, device=x.device) % m]


def pinball(pred: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean pinball loss of the three quantiles plus a small squared error of the mean, over observed targets."""
    total = pred.new_zeros(())
    for k, q in enumerate(QUANTILES):
        diff = y - pred[..., k]
        total = total + (torch.maximum(q * diff, (q - 1) * diff) * mask).sum()
    total = total + _MEAN_WEIGHT * (((y - pred[..., 3]) ** 2).clamp(max=100.0) * mask).sum()
    return total / mask.sum().clamp(min=1.0)


class Windows:
    """Every (series, origin) window of a history cut at `cutoff`, gathered on the fly (no copies)."""

    def __init__(self, values: np.ndarray, cal: np.ndarray, window: int, horizon: int, cutoff: int,
                 dev: torch.device) -> None:
        n, _ = values.shape
        self.window, self.horizon = window, horizon
        hist = values[:, :cutoff]
        pad = np.full((n, window), np.nan)
        full = np.concatenate([pad, hist, np.full((n, horizon), np.nan)], axis=1)  # left pad: short series too
        self.values = torch.tensor(np.nan_to_num(full, nan=0.0), dtype=torch.float32, device=dev)
        self.observed = torch.tensor(~np.isnan(full), dtype=torch.float32, device=dev)
        calp = np.concatenate([np.zeros((n, window, cal.shape[2]), dtype=np.float32), cal], axis=1)
        self.cal = torch.tensor(calp, dtype=torch.float32, device=dev)
        self.series_scale = torch.tensor(_series_scale(hist), dtype=torch.float32, device=dev)
        self.nonneg = torch.tensor(non_negative(hist), dtype=torch.bool, device=dev)
        # origins: at least one observed value before and one target after (in padded coordinates)
        first = np.argmax(~np.isnan(hist), axis=1)
        pairs = [(i, t + window) for i in range(n) for t in range(max(first[i] + 1, 1), cutoff)]
        self.pairs = torch.tensor(pairs, dtype=torch.long, device=dev).reshape(-1, 2)
        self.past = torch.arange(-window, 0, device=dev)
        self.ahead = torch.arange(0, horizon, device=dev)

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Inputs and targets (scaled) of the windows `idx`."""
        i, t = self.pairs[idx, 0], self.pairs[idx, 1]
        return self.at(i, t)

    def at(self, i: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Inputs and targets of series `i` forecast from padded position `t` (the first period ahead)."""
        past = t[:, None] + self.past
        ahead = t[:, None] + self.ahead
        x, m = self.values[i[:, None], past], self.observed[i[:, None], past]
        scale = (x.abs() * m).sum(1) / m.sum(1).clamp(min=1.0)
        scale = torch.where(scale > 1e-8, scale, self.series_scale[i])
        y = self.values[i[:, None], ahead.clamp(max=self.values.shape[1] - 1)] / scale[:, None]
        ym = self.observed[i[:, None], ahead.clamp(max=self.values.shape[1] - 1)]
        cal = self.cal[i[:, None], ahead.clamp(max=self.cal.shape[1] - 1)]
        return x / scale[:, None], m, cal, torch.log(scale), self.nonneg[i], y, ym, scale


def non_negative(hist: np.ndarray) -> np.ndarray:
    """Per series: whether its history (almost) never went below zero, so its forecast distribution must not."""
    with np.errstate(invalid="ignore"):
        neg = np.nansum(hist < 0, axis=1) / np.maximum(np.isfinite(hist).sum(axis=1), 1)
    return neg <= NEG_SHARE


def _series_scale(hist: np.ndarray) -> np.ndarray:
    """Fallback scale per series for windows that are all zero: the mean absolute value of its history, else 1."""
    with np.errstate(invalid="ignore"):
        s = np.nanmean(np.abs(hist), axis=1) if hist.shape[1] else np.ones(hist.shape[0])
    return np.where(np.isfinite(s) & (s > 1e-8), s, 1.0)


class _AdamW:
    """AdamW with global gradient-norm clipping, written out: torch.optim's first use imports torch._dynamo
    (4-5 s on a 2-core machine), longer than a whole forecast's training."""

    def __init__(self, params: list[torch.Tensor], weight_decay: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.wd, self.betas, self.eps, self.t = params, weight_decay, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self, lr: float, clip: float) -> None:
        """One update; gradients are scaled down together when their norm exceeds `clip`."""
        self.t += 1
        b1, b2 = self.betas
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        norm = torch.sqrt(sum((g * g).sum() for g in grads))
        factor = min(1.0, clip / (float(norm) + 1e-6))
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            g = g * factor
            p.mul_(1 - lr * self.wd)
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / (1 - b2 ** self.t)).sqrt_().add_(self.eps)
            p.addcdiv_(m, denom, value=-lr / (1 - b1 ** self.t))


def n_steps(n_windows: int, config: ForecastConfig) -> int:
    """Training steps: config.steps, fewer when that would pass over the windows more than max_epochs times."""
    by_epochs = math.ceil(config.max_epochs * n_windows / config.batch_size)
    return max(1, min(config.steps, max(50, by_epochs)))


def build(config: ForecastConfig, n_cal: int) -> QuantileMLP:
    """A fresh network for the request's window and horizon."""
    return QuantileMLP(config.input_size, config.horizon, n_cal, config.hidden, config.layers, config.dropout,
                       config.season)


def train(values: np.ndarray, cal: np.ndarray, cutoff: int, config: ForecastConfig,
          progress: Progress = no_progress) -> QuantileMLP:
    """Fit a network on every window that ends by `cutoff`; deterministic for the config's seed."""
    with single_thread():
        return _train(values, cal, cutoff, config, progress)


def _train(values: np.ndarray, cal: np.ndarray, cutoff: int, config: ForecastConfig, progress: Progress) -> QuantileMLP:
    """The training loop (see train)."""
    dev = pick_device()
    torch.manual_seed(config.seed)
    gen = torch.Generator(device="cpu").manual_seed(config.seed)
    data = Windows(values, cal, config.input_size, config.horizon, cutoff, dev)
    if len(data.pairs) == 0:
        raise ValueError("no training windows")
    net = build(config, cal.shape[2]).to(dev)
    opt = _AdamW(list(net.parameters()), config.weight_decay)
    net.train()
    steps = n_steps(len(data.pairs), config)
    for step in range(steps):
        idx = torch.randint(len(data.pairs), (config.batch_size,), generator=gen).to(dev)
        x, m, c, ls, nn_, y, ym, _ = data.batch(idx)
        loss = pinball(net(x, m, c, ls, nn_), y, ym)
        net.zero_grad(set_to_none=True)
        loss.backward()
        lr = config.learning_rate * 0.5 * (1 + math.cos(math.pi * step / steps))  # cosine decay
        opt.step(lr, clip=1.0)
        if step % 50 == 0 or step == steps - 1:
            progress((step + 1) / steps, f"training step {step + 1}/{steps}")
    net.eval()
    return net.cpu()


@torch.no_grad()
def forecast(net: QuantileMLP, values: np.ndarray, cal: np.ndarray, at: int) -> np.ndarray:
    """(n_series, horizon, 4) forecasts in the series' units, made from the history before period `at`."""
    with single_thread():
        return _forecast(net, values, cal, at)


def _forecast(net: QuantileMLP, values: np.ndarray, cal: np.ndarray, at: int) -> np.ndarray:
    """The forward pass (see forecast)."""
    data = Windows(values, cal, net.window, net.horizon, at, torch.device("cpu"))
    n = values.shape[0]
    i = torch.arange(n)
    t = torch.full((n,), at + net.window, dtype=torch.long)
    x, m, c, ls, nonneg, _, _, scale = data.at(i, t)
    out = net(x, m, c, ls, nonneg) * scale[:, None, None]
    return out.numpy().astype(float)
