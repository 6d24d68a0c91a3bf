"""Figures of the workflow's report (matplotlib, Agg): each function takes arrays and returns a Figure.

NDVI is drawn on a fixed scale, −0.2 … 1, so that maps of different dates and sources compare;
no-data pixels (NaN) are left blank.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sar2ndvi.io import atomic_path

NDVI_RANGE = (-0.2, 1.0)


def ndvi_maps(
    predicted: np.ndarray, observed: np.ndarray, extent: tuple[float, float, float, float], title: str
) -> Figure:
    """Predicted NDVI, Planet NDVI and their difference for one date; ``extent`` = (W, E, S, N), metres."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), constrained_layout=True)
    for ax, image, name in ((axes[0], predicted, "predicted from Sentinel-1"), (axes[1], observed, "Planet")):
        shown = ax.imshow(image, cmap="RdYlGn", vmin=NDVI_RANGE[0], vmax=NDVI_RANGE[1], extent=extent)
        ax.set_title(f"NDVI, {name}")
    fig.colorbar(shown, ax=axes[:2], shrink=0.8, label="NDVI")
    diff = axes[2].imshow(predicted - observed, cmap="RdBu", vmin=-0.4, vmax=0.4, extent=extent)
    axes[2].set_title("predicted − Planet")
    fig.colorbar(diff, ax=axes[2], shrink=0.8)
    for ax in axes:
        ax.set_xlabel("easting (m)")
    axes[0].set_ylabel("northing (m)")
    fig.suptitle(title)
    return fig


def training_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """L1 loss and validation MSE per epoch of each training stage; the best epoch is marked.

    Stages trained without a validation set (pre-training runs a fixed schedule) have no MSE curve.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for stage, history in histories.items():
        left.plot(history["epoch"], history["l1"], marker=".", label=stage)
        if "val_mse" not in history or not history["val_mse"].notna().any():
            continue
        right.plot(history["epoch"], history["val_mse"], marker=".", label=stage)
        best = history.loc[history["val_mse"].idxmin()]
        right.scatter([best["epoch"]], [best["val_mse"]], s=80, facecolors="none", edgecolors="k", zorder=3)
    left.set(xlabel="epoch", ylabel="masked L1 (training crops)", title="training loss")
    right.set(xlabel="epoch", ylabel="MSE (validation area, farm pixels)", title="validation MSE (○ best epoch)")
    left.legend()
    right.legend()
    return fig


def scatter(predicted: np.ndarray, observed: np.ndarray) -> Figure:
    """Predicted against observed NDVI over all valid pixels (hexbin), with the 1:1 line and metrics."""
    ok = np.isfinite(predicted) & np.isfinite(observed)
    p, o = predicted[ok], observed[ok]
    mse = float(np.mean((p - o) ** 2))
    r = float(np.corrcoef(p, o)[0, 1]) if len(p) > 1 else float("nan")
    fig, ax = plt.subplots(figsize=(5.5, 5), constrained_layout=True)
    ax.hexbin(o, p, gridsize=60, extent=(*NDVI_RANGE, *NDVI_RANGE), mincnt=1, bins="log", cmap="viridis")
    ax.plot(NDVI_RANGE, NDVI_RANGE, "k--", lw=1, label="1:1")
    ax.set(xlabel="Planet NDVI", ylabel="predicted NDVI", xlim=NDVI_RANGE, ylim=NDVI_RANGE)
    ax.set_title(f"test area: MSE {mse:.4f}, RMSE {np.sqrt(mse):.3f}, r {r:.3f}, {len(p):,} pixels")
    ax.legend(loc="upper left")
    return fig


def parcel_timeseries(times: list, predicted: np.ndarray, spread: np.ndarray | None, observed: np.ndarray) -> Figure:
    """Parcel-mean NDVI through the season: prediction (± ensemble std) and Planet, one panel a parcel.

    Args:
        times: acquisition times (n).
        predicted, observed: (parcels, n) parcel means; NaN = no value.
        spread: (parcels, n) ensemble standard deviation, or None.
    """
    count = len(predicted)
    fig, axes = plt.subplots(count, 1, figsize=(10, 2.2 * count), sharex=True, squeeze=False, constrained_layout=True)
    for k, ax in enumerate(axes[:, 0]):
        ax.plot(times, predicted[k], "-", color="tab:green", label="predicted from Sentinel-1")
        if spread is not None:
            ax.fill_between(times, predicted[k] - spread[k], predicted[k] + spread[k], color="tab:green", alpha=0.25,
                            label="± ensemble std")  # fmt: skip
        ax.plot(times, observed[k], "o", color="k", ms=4, label="Planet")
        ax.set_ylim(*NDVI_RANGE)
        ax.set_ylabel(f"parcel {k + 1}")
    axes[0, 0].legend(loc="upper left", ncols=3)
    axes[0, 0].set_title("NDVI at sample parcels (parcel means)")
    return fig


def field_curves(fields: pd.DataFrame, parcels: list[int], reference: str, pretraining: str) -> Figure:
    """The fused NDVI of a few fields with its 68 % band, over the observations it fused, one panel a field.

    Args:
        fields: the per-field table (``results/fields_{area}.parquet``): ``parcel_id``, ``time``, ``kind``,
            ``ndvi_mean``, ``uncertainty``.
        parcels: the fields to draw.
        reference, pretraining: the optical sensors' kinds in the table.
    """
    fig, axes = plt.subplots(
        len(parcels), 1, figsize=(10, 2.3 * len(parcels)), sharex=True, squeeze=False, constrained_layout=True
    )
    for ax, parcel in zip(axes[:, 0], parcels, strict=True):
        rows = fields[fields["parcel_id"] == parcel]
        fused = rows[rows["kind"] == "fused"].sort_values("time")
        band = fused["uncertainty"]
        ax.fill_between(fused["time"], fused["ndvi_mean"] - band, fused["ndvi_mean"] + band, color="tab:blue",
                        alpha=0.25, label="fused ± 68 % interval")  # fmt: skip
        ax.plot(fused["time"], fused["ndvi_mean"], "-", color="tab:blue", label="fused")
        for kind, style, label in (
            ("sar", dict(marker=".", color="tab:green", ls="none", ms=5), "predicted from Sentinel-1"),
            (pretraining, dict(marker="^", color="0.45", ls="none", ms=4), f"{pretraining} (on {reference}'s scale)"),
            (reference, dict(marker="o", color="k", ls="none", ms=4), reference),
        ):
            seen = rows[rows["kind"] == kind]
            ax.plot(seen["time"], seen["ndvi_mean"], label=label, **style)
        ax.set_ylim(*NDVI_RANGE)
        ax.set_ylabel(f"field {parcel}")
    axes[0, 0].legend(loc="upper left", ncols=3, fontsize=8)
    axes[0, 0].set_title("Field-mean NDVI through the season: the gap-free fused curve and what it fused")
    return fig


def interval_calibration(coverage: pd.DataFrame, tolerance: float = 0.05) -> Figure:
    """Observed against nominal coverage of the intervals (``results/fusion_coverage.csv``), ±``tolerance`` shaded."""
    fig, ax = plt.subplots(figsize=(5.5, 5), constrained_layout=True)
    line = np.array([0.5, 1.0])
    ax.fill_between(line, line - tolerance, line + tolerance, color="0.9", label=f"±{100 * tolerance:.0f} points")
    ax.plot(line, line, "k--", lw=1)
    for (method, gap), rows in coverage.groupby(["method", coverage["optical_gap_days"].fillna(-1)], sort=False):
        label = method if gap < 0 else f"{method}, optical gap {gap:g} d"
        ax.plot(rows["nominal"], rows["coverage"], marker="o", label=label)
    ax.set(xlabel="nominal coverage", ylabel="observed coverage (test area, hidden Planet dates)", xlim=(0.5, 1),
           ylim=(0.3, 1))  # fmt: skip
    ax.set_title("Calibration of the intervals")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def regression(
    source: np.ndarray,
    reference: np.ndarray,
    slope: float,
    intercept: float,
    r2: float,
    titles: tuple[str, str] = ("Sentinel-2", "PlanetScope"),
) -> Figure:
    """The source → reference NDVI regression (``titles``: the two sensors): matched pixels and the fitted line."""
    source_title, reference_title = titles
    fig, ax = plt.subplots(figsize=(5.5, 5), constrained_layout=True)
    ax.hexbin(source, reference, gridsize=60, extent=(*NDVI_RANGE, *NDVI_RANGE), mincnt=1, bins="log", cmap="viridis")
    line = np.array(NDVI_RANGE)
    label = f"{reference_title} = {slope:.3f} · {source_title} + {intercept:.3f} (r² {r2:.3f})"
    ax.plot(line, slope * line + intercept, "r-", label=label)
    ax.plot(line, line, "k--", lw=1, label="1:1")
    ax.set(xlabel=f"{source_title} NDVI", ylabel=f"{reference_title} NDVI", xlim=NDVI_RANGE, ylim=NDVI_RANGE)
    ax.set_title(f"{source_title} → {reference_title} NDVI regression")
    ax.legend(loc="upper left")
    return fig


def html_table(table: pd.DataFrame, caption: str) -> str:
    """A standalone HTML page holding ``table``."""
    body = table.to_html(index=False, float_format=lambda v: f"{v:.5f}", border=0, classes="table")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>table{border-collapse:collapse;font:14px sans-serif}"
        "td,th{padding:4px 10px;border-bottom:1px solid #ccc;text-align:right}</style></head><body>"
        f"<h3>{caption}</h3>{body}</body></html>"
    )


def save(fig: Figure, path: str | Path) -> None:
    """Write ``fig`` as PNG atomically and close it."""
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


__all__ = ["html_table", "ndvi_maps", "parcel_timeseries", "regression", "save", "scatter", "training_curves"]
