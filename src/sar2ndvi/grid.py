"""Area grids: the one raster grid every product of an area is written on.

An area is configured as a geographic box (degrees, WGS 84 / JGD2011 are treated as identical at
this scale). It becomes a north-up grid in a projected CRS (EPSG:32654, UTM 54N, by default) whose
origin is snapped to multiples of the pixel size, so that grids of overlapping areas share pixel edges.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer


@dataclass(frozen=True)
class AreaGrid:
    """A north-up raster grid.

    Attributes:
        name: area key from the configuration.
        crs: CRS as an authority string, e.g. ``"EPSG:32654"``.
        resolution: pixel size in CRS units (metres for UTM).
        x_min: western edge of the first column, CRS units.
        y_max: northern edge of the first row, CRS units.
        width: number of columns.
        height: number of rows.
    """

    name: str
    crs: str
    resolution: float
    x_min: float
    y_max: float
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        """Affine transform from (col, row) pixel corners to CRS coordinates."""
        return Affine(self.resolution, 0.0, self.x_min, 0.0, -self.resolution, self.y_max)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in CRS units."""
        return (
            self.x_min,
            self.y_max - self.height * self.resolution,
            self.x_min + self.width * self.resolution,
            self.y_max,
        )

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """CRS coordinates (x, y) of every pixel centre, each of shape (rows, columns)."""
        xs = self.x_min + (np.arange(self.width) + 0.5) * self.resolution
        ys = self.y_max - (np.arange(self.height) + 0.5) * self.resolution
        return np.meshgrid(xs, ys)

    def lonlat_bounds(self, densify: int = 21) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees (EPSG:4326) enclosing the grid."""
        to_geo = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        return to_geo.transform_bounds(*self.bounds, densify_pts=densify)

    def padded(self, pixels: int, name: str | None = None) -> AreaGrid:
        """The grid grown by ``pixels`` on every side (same CRS, resolution and alignment)."""
        return AreaGrid(
            name or self.name,
            self.crs,
            self.resolution,
            self.x_min - pixels * self.resolution,
            self.y_max + pixels * self.resolution,
            self.width + 2 * pixels,
            self.height + 2 * pixels,
        )

    def window_of(self, other: AreaGrid) -> tuple[int, int, int, int]:
        """(row_off, col_off, rows, cols) of ``other`` inside this grid.

        Raises:
            ValueError: if the grids differ in CRS or resolution, are not aligned or ``other``
                does not lie inside this grid.
        """
        if CRS.from_user_input(self.crs) != CRS.from_user_input(other.crs) or not math.isclose(
            self.resolution, other.resolution
        ):
            raise ValueError(f"grid {other.name!r} is not on the CRS/resolution of grid {self.name!r}")
        col = (other.x_min - self.x_min) / self.resolution
        row = (self.y_max - other.y_max) / self.resolution
        if not (math.isclose(col, round(col), abs_tol=1e-6) and math.isclose(row, round(row), abs_tol=1e-6)):
            raise ValueError(f"grid {other.name!r} is not aligned with grid {self.name!r}")
        col, row = round(col), round(row)
        if col < 0 or row < 0 or col + other.width > self.width or row + other.height > self.height:
            raise ValueError(f"grid {other.name!r} does not lie inside grid {self.name!r}")
        return row, col, other.height, other.width

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> AreaGrid:
        return cls(**json.loads(text))

    @classmethod
    def read(cls, path: str | Path) -> AreaGrid:
        """Read a grid written by :meth:`to_json`."""
        return cls.from_json(Path(path).read_text())


def grid_from_lonlat_box(
    name: str,
    west: float,
    south: float,
    east: float,
    north: float,
    crs: str = "EPSG:32654",
    resolution: float = 10.0,
) -> AreaGrid:
    """The smallest snapped grid in ``crs`` that covers a lon/lat box.

    Args:
        name: area key.
        west, south, east, north: box edges in degrees (EPSG:4326).
        crs: target projected CRS.
        resolution: pixel size in CRS units; the grid origin is a multiple of it.

    Raises:
        ValueError: if the box is empty or inverted.
    """
    if not (west < east and south < north):
        raise ValueError(
            f"area {name!r}: box west={west}, south={south}, east={east}, north={north} is empty or "
            "inverted; give west < east and south < north in degrees"
        )
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0, x1, y1 = to_grid.transform_bounds(west, south, east, north, densify_pts=21)
    x_min = math.floor(x0 / resolution) * resolution
    y_min = math.floor(y0 / resolution) * resolution
    x_max = math.ceil(x1 / resolution) * resolution
    y_max = math.ceil(y1 / resolution) * resolution
    return AreaGrid(
        name=name,
        crs=crs,
        resolution=float(resolution),
        x_min=float(x_min),
        y_max=float(y_max),
        width=round((x_max - x_min) / resolution),
        height=round((y_max - y_min) / resolution),
    )
