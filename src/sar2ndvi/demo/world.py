"""The physical model behind the demo: terrain, parcels, cabbage phenology, soil moisture, σ0, reflectance.

Everything is a deterministic function of the seed and of map coordinates (EPSG:32654 metres), so
every sensor (3 m Planet, 10 m Sentinel-2, Sentinel-1 radar geometry) sees the same world.

- Terrain: orthometric (EGM96) heights of about 1,000–1,450 m, rising toward Mt Asama in the south-east.
- Parcels: a jittered grid of rectangular fields of 0.5–1.5 ha turned by a few degrees, 6 m roads
  between them; most are cabbage (upland fields, MAFF land_type 200), some paddy (land_type 100),
  forest blocks around the farmland.
- Cabbage: per parcel one or two crops a season; NDVI rises logistically from bare soil (0.15–0.22)
  after transplanting to a peak of 0.75–0.9 and falls at harvest, 60–85 days later.
- Inside a cabbage field (:class:`WithinField`): the bare soil's NDVI, the transplanting (and so the
  harvest) day and the crop's vigour (its rise above the soil) vary smoothly from place to place
  (wavelengths of 30–150 m, about a field's size), as soil patches, planting over several days and
  uneven growth make them vary; their sizes are set so that Sentinel-2's within-field NDVI spread
  matches a real farmland's (``benchmarks/within_field_variability.py``). A fixed ±0.025 texture
  lies on every parcel.
- σ0 (linear power): water-cloud model (Attema & Ulaby 1978) of the canopy, σ0 = A·V·cosθ·(1 − γ²)
  + γ²·σ0_soil with γ² = exp(−2·B·V / cosθ), V the canopy water content (kg/m²) derived from NDVI, θ
  the local incidence angle (terrain slope included) and σ0_soil linear in soil moisture (dB).
- Reflectance: surface red from the vegetated fraction, NIR from red and NDVI; Sentinel-2 L1C top of
  atmosphere adds path radiance (more in red), and clouds; PlanetScope has its own NDVI scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np
from rasterio import features
from scipy.ndimage import map_coordinates
from shapely import affinity
from shapely.geometry import box

from sar2ndvi.grid import AreaGrid, grid_from_lonlat_box

#: EGM96 geoid undulation N around Tsumagoi (m): ellipsoidal height h = H + N with H the orthometric
#: (EGM96) height. Constant over the few kilometres of the demo world.
GEOID_UNDULATION_M = 39.5
#: The world (terrain, parcels) extends beyond the demo extent by this fraction of its size plus
#: COVER_MARGIN_M, so that radar images, whose footprint is turned against the map grid, see land everywhere.
COVER_MARGIN_FRACTION = 0.25
COVER_MARGIN_M = 300.0

# water-cloud parameters (A, B) per polarisation and soil backscatter (dB = a + b·mv)
WCM = {"VV": (0.12, 0.14), "VH": (0.025, 0.11)}
SOIL_DB = {"VV": (-17.0, 30.0), "VH": (-25.0, 30.0)}
FOREST_DB = {"VV": -7.8, "VH": -13.2}
BUILT_DB = {"VV": -6.0, "VH": -14.0}
CROP, PADDY, FOREST = 1, 2, 3


@dataclass(frozen=True)
class WithinField:
    """How much a cabbage field's NDVI varies from place to place (each a 1σ size).

    ``soil_ndvi``: NDVI of the bare soil (NDVI); ``transplanting_days``: the day the crop is planted
    and harvested (days); ``vigour``: the crop's rise from the soil to its peak (relative, 0.1 = 10 %).
    All zero: fields follow their parcel's phenology exactly (plus the fixed texture).
    """

    soil_ndvi: float = 0.0075
    transplanting_days: float = 1.0
    vigour: float = 0.025

    @property
    def uniform(self) -> bool:
        return self.soil_ndvi == 0 and self.transplanting_days == 0 and self.vigour == 0


@dataclass(frozen=True)
class DemoSpec:
    """What the demo world covers and how often each sensor sees it."""

    seed: int = 2017
    areas: dict = field(default_factory=dict)
    crs: str = "EPSG:32654"
    resolution: float = 10.0
    start: str = "2017-05-01"
    end: str = "2017-11-30"
    tracks: tuple = ((46, 35.0), (119, 42.0))
    s1_repeat_days: int = 12
    s2_revisit_days: int = 5
    s2_cloudy_fraction: float = 0.4
    planet_dates: int = 42
    margin_m: float = 1500.0
    s1_max_scenes: int | None = None
    s2_max_dates: int | None = None
    planet_resolution: float = 3.0
    planet_buffer_m: float = 200.0
    workers: int = 1
    s1_ipf_version: str = "003.52"
    within_field: WithinField = field(default_factory=WithinField)

    @classmethod
    def from_config(cls, config: dict) -> DemoSpec:
        """From the workflow configuration (keys ``study``, ``areas``, ``demo``)."""
        demo = config.get("demo") or {}
        study = config.get("study") or {}
        tracks = demo.get("s1_tracks") or [
            {"relative_orbit": 46, "platform_incidence_deg": 35.0},
            {"relative_orbit": 119, "platform_incidence_deg": 42.0},
        ]
        return cls(
            seed=int(demo.get("seed", 2017)),
            areas={
                k: {side: float(v[side]) for side in ("west", "south", "east", "north")}
                for k, v in config["areas"].items()
            },
            crs=study.get("crs", "EPSG:32654"),
            resolution=float(study.get("resolution", 10)),
            start=str(study.get("start", "2017-05-01")),
            end=str(study.get("end", "2017-11-30")),
            tracks=tuple((int(t["relative_orbit"]), float(t["platform_incidence_deg"])) for t in tracks),
            s1_repeat_days=int(demo.get("s1_repeat_days", 12)),
            s2_revisit_days=int(demo.get("s2_revisit_days", 5)),
            s2_cloudy_fraction=float(demo.get("s2_cloudy_fraction", 0.4)),
            planet_dates=int(demo.get("planet_dates", 42)),
            margin_m=float(demo.get("margin_m", 1500.0)),
            s1_max_scenes=_optional_int(demo.get("s1_max_scenes")),
            s2_max_dates=_optional_int(demo.get("s2_max_dates")),
            planet_resolution=float(demo.get("planet_resolution", 3.0)),
            planet_buffer_m=float(demo.get("planet_buffer_m", 200.0)),
            workers=int(demo.get("workers", 1)),
            s1_ipf_version=str(demo.get("s1_ipf_version", "003.52")),
            within_field=WithinField(
                **{
                    key: float(value)
                    for key, value in (demo.get("within_field") or {}).items()
                    if key in ("soil_ndvi", "transplanting_days", "vigour")
                }
            ),
        )

    @property
    def first_day(self) -> date:
        return date.fromisoformat(self.start)

    @property
    def last_day(self) -> date:
        return date.fromisoformat(self.end)


def _optional_int(value) -> int | None:
    return None if value is None else int(value)


def _smooth_field(rng: np.random.Generator, n: int, scale_m: tuple[float, float]):
    """A smooth random field f(x, y) in about [−1, 1]: a sum of random plane waves."""
    k = 2 * np.pi / rng.uniform(*scale_m, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    kx, ky = k * np.cos(angle), k * np.sin(angle)

    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)
        y = np.asarray(y, np.float64)
        total = np.zeros(np.broadcast_shapes(x.shape, y.shape))
        # one wave at a time: no (points × waves) temporary for million-pixel grids
        for i in range(n):
            total += np.sin(kx[i] * x + ky[i] * y + phase[i])
        return total * math.sqrt(2.0 / n)

    return f


class World:
    """The demo world of a :class:`DemoSpec`."""

    def __init__(self, spec: DemoSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        boxes = list(spec.areas.values())
        union = grid_from_lonlat_box(
            "union",
            min(b["west"] for b in boxes),
            min(b["south"] for b in boxes),
            max(b["east"] for b in boxes),
            max(b["north"] for b in boxes),
            spec.crs,
            spec.resolution,
        )
        pad = math.ceil(spec.margin_m / spec.resolution)
        self.extent = union.padded(pad, "demo")
        size = max(self.extent.width, self.extent.height) * spec.resolution
        cover_pad = math.ceil((COVER_MARGIN_FRACTION * size + COVER_MARGIN_M) / spec.resolution)
        #: the grid the world is defined on (land cover, terrain): the demo extent + COVER_MARGIN_M
        self.cover = self.extent.padded(cover_pad, "cover")
        self._lookup: tuple[AreaGrid, np.ndarray] | None = None
        self.area_grids = {
            k: grid_from_lonlat_box(k, crs=spec.crs, resolution=spec.resolution, **v) for k, v in spec.areas.items()
        }
        self._bumps = [
            (
                self.rng.uniform(*self._xrange()),
                self.rng.uniform(*self._yrange()),
                self.rng.uniform(400, 1500),
                self.rng.uniform(-60, 120),
            )
            for _ in range(12)
        ]
        self._texture = _smooth_field(self.rng, 24, (40.0, 200.0))
        self._texture_cache: dict = {}
        self._cloud = _smooth_field(self.rng, 32, (800.0, 4000.0))
        self._rain = self._rain_series()
        self._make_parcels()
        # a stream of its own, so that the parcels, clouds and rain do not depend on the structure's sizes
        within = np.random.default_rng([spec.seed, 51])
        self._within_fields = [_smooth_field(within, 24, (30.0, 150.0)) for _ in range(3)]

    def _xrange(self) -> tuple[float, float]:
        west, _, east, _ = self.cover.bounds
        return west, east

    def _yrange(self) -> tuple[float, float]:
        _, south, _, north = self.cover.bounds
        return south, north

    # terrain ---------------------------------------------------------------------------------
    def orthometric_height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Height above the EGM96 geoid (m) at EPSG:32654 coordinates."""
        x = np.asarray(x, np.float64)
        y = np.asarray(y, np.float64)
        cx = 0.5 * sum(self._xrange())
        cy = 0.5 * sum(self._yrange())
        # regional rise toward the south-east (Mt Asama), about 35 m per km
        h = 1200.0 + 0.025 * (x - cx) - 0.025 * (y - cy)
        for bx, by, radius, amplitude in self._bumps:
            h = h + amplitude * np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * radius**2))
        return h

    def ellipsoidal_height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Height above the WGS 84 ellipsoid (m)."""
        return self.orthometric_height(x, y) + GEOID_UNDULATION_M

    # parcels ---------------------------------------------------------------------------------
    def _make_parcels(self) -> None:
        rng = self.rng
        west, south, east, north = self.cover.bounds
        angle = rng.uniform(-12, 12)
        cx, cy = 0.5 * (west + east), 0.5 * (south + north)
        farm_zone = [g.bounds for g in self.area_grids.values() if g.name != "pretrain"]
        polygons, kinds = [], []
        span = max(east - west, north - south) * 0.75
        y = cy - span
        while y < cy + span:
            depth = rng.uniform(70, 120)
            x = cx - span
            while x < cx + span:
                width = rng.uniform(70, 130)
                cell = affinity.rotate(box(x + 3, y + 3, x + width - 3, y + depth - 3), angle, origin=(cx, cy))
                px, py = cell.centroid.x, cell.centroid.y
                if west < px < east and south < py < north:
                    near_farms = any(b[0] - 600 < px < b[2] + 600 and b[1] - 600 < py < b[3] + 600 for b in farm_zone)
                    p_crop = 0.85 if near_farms else 0.35
                    u = rng.random()
                    kind = CROP if u < p_crop else (PADDY if u < p_crop + 0.05 else FOREST)
                    polygons.append(cell)
                    kinds.append(kind)
                x += width
            y += depth
        self.polygons = polygons
        self.kinds = np.array(kinds)
        n = len(polygons)
        doy0 = rng.uniform(118, 175, n)
        length1 = rng.uniform(60, 85, n)
        second = rng.random(n) < 0.45
        gap = rng.uniform(8, 25, n)
        self.crop = {
            "plant1": doy0,
            "harvest1": doy0 + length1,
            "plant2": np.where(second, doy0 + length1 + gap, np.inf),
            "harvest2": np.where(second, doy0 + length1 + gap + rng.uniform(60, 80, n), np.inf),
            "peak": rng.uniform(0.75, 0.9, n),
            "bare": rng.uniform(0.15, 0.22, n),
            "rate": rng.uniform(0.10, 0.16, n),
            "roughness": rng.uniform(-1.0, 1.0, n),
            "wetness": rng.uniform(-0.04, 0.04, n),
        }

    def parcel_index(self, grid: AreaGrid) -> np.ndarray:
        """Parcel index + 1 per pixel of ``grid`` (0 = road or built-up), from the pixel centre."""
        shapes = [(p, i + 1) for i, p in enumerate(self.polygons)]
        return features.rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="int32")

    def parcel_index_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Parcel index + 1 (0 = road or built-up) at EPSG:32654 points, from a 2.5 m raster of the cover."""
        if self._lookup is None:
            c = self.cover
            fine = AreaGrid("lookup", c.crs, c.resolution / 4, c.x_min, c.y_max, c.width * 4, c.height * 4)
            self._lookup = (fine, self.parcel_index(fine))
        fine, raster = self._lookup
        col = np.clip(((np.asarray(x) - fine.x_min) / fine.resolution).astype(np.int64), 0, fine.width - 1)
        row = np.clip(((fine.y_max - np.asarray(y)) / fine.resolution).astype(np.int64), 0, fine.height - 1)
        return raster[row, col]

    def texture_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Within-field structure at EPSG:32654 points: (4, *shape) float32.

        Layer 0 is the fixed NDVI texture (±0.025 about the parcel's value); layers 1–3 are the soil
        NDVI, transplanting day (days) and vigour offsets of :class:`WithinField` (zero when uniform).
        """
        sizes = self.spec.within_field
        layers = [0.025 * self._texture(x, y)]
        for size, structure in zip(
            (sizes.soil_ndvi, sizes.transplanting_days, sizes.vigour), self._within_fields, strict=True
        ):
            layers.append(size * structure(x, y) if size else np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y))))
        return np.stack(layers).astype(np.float32)

    def ndvi_of(self, day: date, index: np.ndarray, texture: np.ndarray) -> np.ndarray:
        """Surface NDVI of pixels with parcel ``index`` (0 = roads, built-up: 0.12) and structure ``texture``."""
        per_parcel = np.r_[0.12, self.parcel_ndvi(day)].astype(np.float32)
        if self.spec.within_field.uniform:
            values = per_parcel[index]
        else:
            soil, shift, vigour = (layer.astype(np.float64) for layer in texture[1:])
            crop = self.cabbage_ndvi(day, np.maximum(index - 1, 0), soil, shift, vigour)
            values = np.where(np.r_[0, self.kinds][index] == CROP, crop, per_parcel[index]).astype(np.float32)
        return np.clip(values + np.where(index > 0, texture[0], 0.0), -0.1, 0.95).astype(np.float32)

    # time series -----------------------------------------------------------------------------
    def _rain_series(self) -> np.ndarray:
        days = (self.spec.last_day - self.spec.first_day).days + 31
        rain = (self.rng.random(days) < 0.3) * self.rng.exponential(12.0, days)
        mv = np.zeros(days)
        level = 0.22
        for d in range(days):
            level = 0.15 + (level - 0.15) * 0.85 + 0.004 * rain[d]
            mv[d] = min(level, 0.42)
        return mv

    def soil_moisture(self, day: date) -> float:
        """Volumetric soil moisture (m³/m³) of the region on ``day``."""
        index = (day - self.spec.first_day).days + 15
        return float(self._rain[int(np.clip(index, 0, len(self._rain) - 1))])

    def cabbage_ndvi(
        self,
        day: date,
        parcels: np.ndarray,
        soil: np.ndarray | float = 0.0,
        shift: np.ndarray | float = 0.0,
        vigour: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """Surface NDVI of a cabbage crop on ``day`` on ``parcels`` (0-based), float64.

        Args:
            soil: offset of the bare soil's NDVI.
            shift: days by which transplanting and harvest come later.
            vigour: relative change of the crop's rise from the soil to its peak.
        """
        doy = day.timetuple().tm_yday
        # only the calendar and the levels: indexing every parcel property per pixel costs a copy each
        used = ("bare", "peak", "rate", "plant1", "harvest1", "plant2", "harvest2")
        c = {key: self.crop[key][parcels] for key in used}
        bare = c["bare"] + soil
        rise = (c["peak"] - c["bare"]) * (1 + vigour)
        ndvi = bare
        for plant, harvest in (("plant1", "harvest1"), ("plant2", "harvest2")):
            planted = c[plant] + shift
            growing = (doy >= planted) & (doy < c[harvest] + shift)
            level = bare + rise / (1 + np.exp(-c["rate"] * (doy - planted - 30)))
            ndvi = np.where(growing, level, ndvi)
        return ndvi

    def parcel_ndvi(self, day: date) -> np.ndarray:
        """Surface NDVI of each parcel on ``day`` (without the within-field structure)."""
        doy = day.timetuple().tm_yday
        ndvi = self.cabbage_ndvi(day, np.arange(len(self.kinds)))
        season = 0.06 * math.sin(2 * math.pi * (doy - 110) / 365)
        ndvi = np.where(self.kinds == FOREST, 0.80 + season, ndvi)
        paddy = np.clip(0.2 + 0.65 / (1 + np.exp(-0.08 * (doy - 175))) - 0.6 * (doy > 265), 0.1, 0.85)
        return np.where(self.kinds == PADDY, paddy, ndvi)

    def ndvi(self, day: date, grid: AreaGrid, index: np.ndarray | None = None) -> np.ndarray:
        """Surface NDVI on ``grid`` (roads and built-up 0.12), with mild within-field texture."""
        index = self.parcel_index(grid) if index is None else index
        return self.ndvi_of(day, index, self._texture_on(grid))

    def _texture_on(self, grid: AreaGrid) -> np.ndarray:
        key = (grid.x_min, grid.y_max, grid.resolution, grid.width, grid.height)
        if key not in self._texture_cache:
            xs, ys = grid.pixel_centres()
            self._texture_cache[key] = self.texture_at(xs, ys)
        return self._texture_cache[key]

    # radar -----------------------------------------------------------------------------------
    def sigma0(self, day: date, index: np.ndarray, ndvi: np.ndarray, cos_local: np.ndarray, pol: str) -> np.ndarray:
        """σ0 (linear power, float32) by the water-cloud model.

        Args:
            day: acquisition day (soil moisture).
            index: parcel index + 1 per pixel (0 = roads, built-up).
            ndvi: surface NDVI per pixel.
            cos_local: cosine of the local incidence angle per pixel (terrain slope included).
            pol: "VV" or "VH".
        """
        f32 = np.float32
        cos_local = np.clip(np.asarray(cos_local, f32), f32(0.15), f32(1.0))
        ndvi = np.asarray(ndvi, f32)
        db = f32(math.log(10) / 10)
        a, b = WCM[pol]
        soil_a, soil_b = SOIL_DB[pol]
        # per-parcel soil backscatter at 38°, dB: moisture and roughness
        mv = self.soil_moisture(day) + np.r_[0.0, self.crop["wetness"]]
        soil_db = (soil_a + soil_b * mv + 1.5 * np.r_[0.0, self.crop["roughness"]]).astype(f32)[index]
        theta_deg = np.degrees(np.arccos(cos_local))
        soil = np.exp((soil_db - f32(0.2) * (theta_deg - f32(38.0))) * db)
        water = np.clip(ndvi - f32(0.15), f32(0.0), None) * f32(5.0)  # canopy water content, kg/m²
        gamma2 = np.exp(f32(-2 * b) * water / cos_local)
        canopy = f32(a) * water * cos_local * (1 - gamma2) + gamma2 * soil
        forest = np.exp((f32(FOREST_DB[pol]) + f32(2.5) * (cos_local - f32(0.78))) * db)
        built = f32(10 ** (BUILT_DB[pol] / 10))
        kinds = np.r_[0, self.kinds][index]
        out = np.where(kinds == FOREST, forest, canopy)
        return np.where(index == 0, built, out).astype(f32)

    # optical ---------------------------------------------------------------------------------
    @staticmethod
    def surface_reflectance(ndvi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Surface red and NIR reflectance (0–1) with the given NDVI."""
        ndvi = np.clip(ndvi, -0.2, 0.95)
        fraction = np.clip((ndvi - 0.15) / 0.75, 0.0, 1.0)
        red = 0.11 - 0.075 * fraction
        nir = red * (1 + ndvi) / (1 - ndvi)
        return red, nir

    @staticmethod
    def planet_ndvi(ndvi: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """PlanetScope surface NDVI: its own spectral response puts it on another scale than S2's."""
        return np.clip(0.86 * ndvi + 0.07 + noise, -0.2, 0.95)

    def cloud_probability(self, day: date, x: np.ndarray, y: np.ndarray, cover: float) -> np.ndarray:
        """s2cloudless-like cloud probability (0–100) on ``day`` with a cloud fraction of about ``cover``."""
        if cover <= 0:
            return np.zeros(np.shape(x))
        shift = day.toordinal() * 977.0
        # clouds are kilometres wide: evaluate every 4th pixel and interpolate
        coarse = self._cloud(np.asarray(x)[::4, ::4] + shift, np.asarray(y)[::4, ::4] - 0.6 * shift)
        rows, cols = np.shape(x)
        rr, cc = np.meshgrid(np.arange(rows) / 4.0, np.arange(cols) / 4.0, indexing="ij")
        field = map_coordinates(coarse, [rr, cc], order=1, mode="nearest")
        threshold = np.quantile(field, 1 - cover) if np.size(field) > 10 else 0.0
        return 100.0 / (1 + np.exp(-(field - threshold) * 12))

    def days(self, step: int, offset: int = 0) -> list[date]:
        """Days from the study start (plus ``offset``) every ``step`` days until the study end."""
        out, day = [], self.spec.first_day + timedelta(days=offset)
        while day <= self.spec.last_day:
            out.append(day)
            day += timedelta(days=step)
        return out

    @cached_property
    def crop_polygons(self) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == CROP]
