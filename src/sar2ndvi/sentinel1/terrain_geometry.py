"""Local incidence angle and layover/shadow of a scene on the ground grid, as RTC products ship them.

OPERA RTC-S1 and HyP3 RTC deliver, next to the backscatter, the local incidence angle and a
layover/shadow mask; users drop the masked pixels and weight the rest by the angle. Here both are
computed from what the σ0 step already holds for every cell of its (oversampled) ground grid: the
cell's ECEF position on the DEM, its image line, and the satellite's ECEF position at the cell's
zero-Doppler time.

- **Local incidence angle** (degrees): angle between the terrain normal of the cell (its facet, from
  the DEM) and the direction from the cell to the satellite; 0° looks straight down onto the
  slope, ≥ 90° means the slope faces away from the radar.
- **Layover**: along one image line (one zero-Doppler plane), cells farther from the ground track
  must be farther from the satellite; where the slant range does not grow with ground distance,
  several terrain points share one radar pixel. A cell is in layover when a cell nearer the track
  is at least as far from the satellite, or a cell farther from the track is nearer the satellite
  (active and passive layover).
- **Shadow**: the look angle from the satellite (off nadir) must grow with ground distance; a cell
  whose look angle is smaller than that of some cell nearer the track is hidden behind it.

Mask values follow OPERA RTC-S1: 0 clear, 1 shadow, 2 layover, 3 both.
"""

from __future__ import annotations

import numpy as np

from sar2ndvi.sentinel1.flattening import facet_area_vectors

LAYERS: tuple[str, ...] = ("local_incidence_angle", "layover_shadow_mask")
CLEAR, SHADOW, LAYOVER = 0, 1, 2
LAYER_DESCRIPTIONS = {
    "local_incidence_angle": "local_incidence_angle (degrees)",
    "layover_shadow_mask": "layover_shadow_mask (0 clear, 1 shadow, 2 layover, 3 both)",
}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def local_incidence_angle(ecef: np.ndarray, satellite: np.ndarray) -> np.ndarray:
    """Degrees between each cell's terrain normal and its direction to the satellite, (rows, cols).

    Args:
        ecef: the cells' ECEF positions on the terrain (m), (rows, cols, 3), rows north to south.
        satellite: the satellite's ECEF position (m) at each cell's zero-Doppler time, (rows, cols, 3).
    """
    normal = _unit(facet_area_vectors(ecef))
    look = _unit(satellite - ecef)
    cos = np.einsum("...i,...i->...", normal, look).clip(-1.0, 1.0)
    return np.degrees(np.arccos(cos))


def _running_flags(order_key: np.ndarray, value: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per bin, cells sorted by ``order_key``: (value ≤ max of the nearer cells, value ≥ min of the farther)."""
    order = np.lexsort((order_key, bins))
    v, b = value[order], bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(b)) + 1]
    behind = np.zeros(len(v), bool)
    before = np.zeros(len(v), bool)
    for start, stop in zip(starts, np.r_[starts[1:], len(v)], strict=True):
        segment = v[start:stop]
        nearer_max = np.maximum.accumulate(np.r_[-np.inf, segment[:-1]])
        farther_min = np.minimum.accumulate(np.r_[segment[1:], np.inf][::-1])[::-1]
        behind[start:stop] = segment <= nearer_max
        before[start:stop] = segment >= farther_min
    flags_behind = np.empty_like(behind)
    flags_before = np.empty_like(before)
    flags_behind[order], flags_before[order] = behind, before
    return flags_behind, flags_before


def layover_shadow_mask(ecef: np.ndarray, satellite: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Layover/shadow mask (uint8, OPERA values) of the cells, (rows, cols); see the module docstring.

    Args:
        ecef: the cells' ECEF positions on the terrain (m), (rows, cols, 3).
        satellite: the satellite's ECEF position (m) at each cell's zero-Doppler time, (rows, cols, 3).
        line: the cells' image lines; cells are compared within the same (rounded) line.
    """
    valid = np.isfinite(line) & np.isfinite(ecef).all(axis=-1) & np.isfinite(satellite).all(axis=-1)
    mask = np.zeros(line.shape, np.uint8)
    if not valid.any():
        return mask
    cells, sats = ecef[valid], satellite[valid]
    bins = np.rint(line[valid]).astype(np.int64)
    # ground distance from the track: the angle at the Earth's centre between satellite and cell
    ground = np.arccos(np.einsum("...i,...i->...", _unit(cells), _unit(sats)).clip(-1.0, 1.0))
    slant = np.linalg.norm(cells - sats, axis=-1)
    look = np.arccos(np.einsum("...i,...i->...", _unit(cells - sats), _unit(-sats)).clip(-1.0, 1.0))
    not_farther, not_nearer = _running_flags(ground, slant, bins)
    hidden, _ = _running_flags(ground, look, bins)
    flags = np.where(not_farther | not_nearer, LAYOVER, CLEAR) | np.where(hidden, SHADOW, CLEAR)
    mask[valid] = flags.astype(np.uint8)
    return mask


def block_reduce(values: np.ndarray, factor: int, how: str) -> np.ndarray:
    """(rows·f, cols·f) → (rows, cols): ``"mean"`` of the finite values, or bitwise ``"or"`` of flags."""
    rows, cols = values.shape[0] // factor, values.shape[1] // factor
    if how == "or":
        blocks = values[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor)
        return np.bitwise_or.reduce(np.bitwise_or.reduce(blocks, axis=3), axis=1)
    # a sum over the f × f phases of the sub-cells (strided slices) is many times faster than a
    # reduction over the two inner axes of the 4-D view
    sums = np.zeros((rows, cols))
    counts = np.zeros((rows, cols))
    for i in range(factor):
        for j in range(factor):
            phase = values[i : rows * factor : factor, j : cols * factor : factor]
            finite = np.isfinite(phase)
            sums += np.where(finite, phase, 0.0)
            counts += finite
    with np.errstate(invalid="ignore", divide="ignore"):  # blocks without a finite value stay NaN
        return np.where(counts > 0, sums / counts, np.nan)


__all__ = [
    "LAYERS",
    "LAYER_DESCRIPTIONS",
    "block_reduce",
    "layover_shadow_mask",
    "local_incidence_angle",
]
