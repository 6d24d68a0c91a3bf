"""Sentinel-2 and PlanetScope files of the demo world, in the layouts Earth Engine and Planet deliver.

- Sentinel-2: one Earth Engine export per date of ``COPERNICUS/S2_HARMONIZED`` (L1C top of
  atmosphere) on the demo extent, EPSG:32654 at 10 m: bands B4, B8 (uint16, reflectance × 10,000,
  nodata 0) and the s2cloudless ``probability`` (uint16, 0–100); named by the image's
  ``system:index`` (``20170605T012651_20170605T012653_T54SUE.tif``), listed in ``catalog.json``.
- PlanetScope: 4-band (blue, green, red, NIR) surface reflectance × 10,000 (uint16, nodata 0) at 3 m
  in EPSG:32654, one scene per area (train, validation, test grown by 200 m) and date, each with its
  8-band UDM2 (band 1 = clear) and its metadata JSON (acquired, satellite_id, instrument PS2).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from sar2ndvi.demo.world import World
from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_geotiff, write_json

#: Sentinel-2 L1C path radiance added to the surface reflectance (reflectance units): more in red than NIR.
S2_PATH_RED = 0.035
S2_PATH_NIR = 0.012
#: Sentinel-2 L1C sensor noise per band (reflectance, 1σ).
S2_NOISE = 0.003
#: Reflectance of thick cloud tops in B4 and B8.
CLOUD_RED = 0.42
CLOUD_NIR = 0.44
#: S2 overpass over Tsumagoi (UTC) and the tile.
S2_TIME = (1, 26, 51)
S2_TILE = "T54SUE"
UDM2_BANDS = ["clear", "snow", "shadow", "light haze", "heavy haze", "cloud", "confidence", "unusable"]


def sentinel2_days(world: World) -> list:
    """Acquisition days: every ``s2_revisit_days`` from the study start + 2 days."""
    days = world.days(world.spec.s2_revisit_days, 2)
    return days if world.spec.s2_max_dates is None else days[: world.spec.s2_max_dates]


def toa_reflectance(red: np.ndarray, nir: np.ndarray, cloud: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sentinel-2 L1C red and NIR (reflectance) of surface reflectance under path radiance and clouds.

    ``cloud`` is the cloud probability (0–100); clouds become opaque from 30 to 80 %.
    """
    opacity = np.clip((cloud - 30) / 50, 0, 1)
    red_toa = (red + S2_PATH_RED) * (1 - opacity) + CLOUD_RED * opacity
    nir_toa = (nir + S2_PATH_NIR) * (1 - opacity) + CLOUD_NIR * opacity
    return red_toa, nir_toa


def clear_sky_l1c_ndvi(world: World, day, grid: AreaGrid, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """NDVI that Sentinel-2 L1C would measure on ``grid`` on a cloudless ``day``: path radiance and sensor noise.

    ``index`` is the world's parcel index on ``grid``; the noise is drawn from ``rng``, red then NIR.
    """
    red, nir = toa_reflectance(*world.surface_reflectance(world.ndvi(day, grid, index)), np.zeros(grid.shape))
    red = red + rng.standard_normal(grid.shape) * S2_NOISE
    nir = nir + rng.standard_normal(grid.shape) * S2_NOISE
    return (nir - red) / (nir + red)


def write_sentinel2(world: World, out: Path) -> list[dict]:
    """Earth Engine-like S2 L1C exports on the demo extent, some of them cloudy; returns the catalogue."""
    folder = out / "sentinel2"
    folder.mkdir(parents=True, exist_ok=True)
    spec = world.spec
    rng = np.random.default_rng([spec.seed, 21])
    grid = world.extent
    index = world.parcel_index(grid)
    xs, ys = grid.pixel_centres()
    records = []
    for day in sentinel2_days(world):
        cloudy = rng.random() < spec.s2_cloudy_fraction
        cover = float(rng.uniform(0.2, 0.9)) if cloudy else float(rng.uniform(0, 0.03))
        red, nir = world.surface_reflectance(world.ndvi(day, grid, index))
        cloud = world.cloud_probability(day, xs, ys, cover)
        red_toa, nir_toa = toa_reflectance(red, nir, cloud)
        noise = rng.standard_normal((2, *grid.shape), dtype=np.float32) * S2_NOISE
        bands = np.stack([(red_toa + noise[0]) * 1e4, (nir_toa + noise[1]) * 1e4, np.rint(cloud)])
        bands[:2] = np.clip(bands[:2], 1, 10000)
        acquired = datetime(day.year, day.month, day.day, *S2_TIME)
        # datastrip and granule sensing times differ by a couple of seconds in real system:index values
        name = f"{acquired:%Y%m%dT%H%M%S}_{acquired + timedelta(seconds=2):%Y%m%dT%H%M%S}_{S2_TILE}"
        write_geotiff(folder / f"{name}.tif", bands, grid.transform, grid.crs, "uint16", 0, ["B4", "B8", "probability"])
        records.append(
            {
                "id": name,
                "date": day.isoformat(),
                "system:time_start": int(acquired.timestamp() * 1000),
                "CLOUDY_PIXEL_PERCENTAGE": round(float((cloud > 50).mean()) * 100, 2),
                "MGRS_TILE": S2_TILE[1:],
                "SPACECRAFT_NAME": "Sentinel-2A" if day.toordinal() % 2 else "Sentinel-2B",
                "path": f"{name}.tif",
            }
        )
    write_json(folder / "catalog.json", records)
    return records


def planet_grids(world: World) -> dict[str, AreaGrid]:
    """The 3 m grids PlanetScope scenes are delivered on: each non-pretrain area grown by the buffer."""
    spec = world.spec
    res, pad = spec.planet_resolution, spec.planet_buffer_m
    grids = {}
    for name, g in world.area_grids.items():
        if name == "pretrain" and len(world.area_grids) > 1:
            continue
        west, south, east, north = g.bounds
        x0, y1 = math.floor((west - pad) / res) * res, math.ceil((north + pad) / res) * res
        x1, y0 = math.ceil((east + pad) / res) * res, math.floor((south - pad) / res) * res
        grids[name] = AreaGrid(f"planet_{name}", spec.crs, res, x0, y1, round((x1 - x0) / res), round((y1 - y0) / res))
    return grids


def planet_days(world: World) -> list:
    """``planet_dates`` days spread over the study period."""
    spec = world.spec
    span = (spec.last_day - spec.first_day).days
    offsets = np.unique(np.linspace(1, max(span - 1, 1), spec.planet_dates).round().astype(int))
    return [spec.first_day + timedelta(days=int(o)) for o in offsets]


def write_planet(world: World, out: Path) -> list[str]:
    """PlanetScope-like 4-band SR scenes at 3 m over the fine-tuning areas; returns the scene ids."""
    folder = out / "planet"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([world.spec.seed, 31])
    grids = planet_grids(world)
    indexes = {name: world.parcel_index(g) for name, g in grids.items()}
    satellites = [f"{int(v):04x}" for v in rng.integers(0x0F00, 0x1100, 6)]
    names = []
    for day in planet_days(world):
        pass_start = datetime(day.year, day.month, day.day, 1, 5, 0) + timedelta(seconds=int(rng.integers(0, 2400)))
        satellite = satellites[int(rng.integers(0, len(satellites)))]
        for k, (area, grid) in enumerate(grids.items()):
            ndvi = world.ndvi(day, grid, indexes[area])
            planet = world.planet_ndvi(ndvi, rng.normal(0, 0.012, grid.shape))
            red = world.surface_reflectance(ndvi)[0] * 0.92
            nir = red * (1 + planet) / (1 - planet)
            blue, green = red * 0.8 + 0.01, red * 1.1 + 0.015
            # neighbouring scenes of one strip are taken a second or so apart
            acquired = pass_start + timedelta(seconds=k, microseconds=int(rng.integers(0, 999_999)))
            stem = f"{acquired:%Y%m%d_%H%M%S}_{satellite}"
            bands = np.clip(np.stack([blue, green, red, nir]) * 1e4, 1, 10000)
            write_geotiff(
                folder / f"{stem}_3B_AnalyticMS_SR.tif",
                bands,
                grid.transform,
                grid.crs,
                "uint16",
                0,
                ["blue", "green", "red", "nir"],
            )
            udm = np.zeros((8, *grid.shape), np.uint8)
            udm[0] = 1
            udm[6] = 95
            write_geotiff(folder / f"{stem}_3B_udm2.tif", udm, grid.transform, grid.crs, "uint8", None, UDM2_BANDS)
            write_json(
                folder / f"{stem}_metadata.json",
                {
                    "id": stem,
                    "type": "Feature",
                    "properties": {
                        "acquired": acquired.isoformat() + "Z",
                        "instrument": "PS2",
                        "item_type": "PSScene4Band",
                        "satellite_id": satellite,
                        "strip_id": f"{int(pass_start.timestamp()) % 10_000_000}",
                        "cloud_cover": 0.0,
                        "epsg_code": int(grid.crs.split(":")[1]),
                        "pixel_resolution": grid.resolution,
                    },
                },
            )
            names.append(stem)
    return names
