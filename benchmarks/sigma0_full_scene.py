"""σ0 of an area from a full-size Sentinel-1 IW GRDH product: time and peak memory against its alternatives.

Measures, each in a fresh process with 2 threads, on the same product and area:

(a) sar2ndvi's σ0 step (``geocode_backscatter``): reads only the radar window the area needs, calibrates
    and removes thermal noise there, and geocodes VV and VH onto a 10 m UTM grid with the DEM;
(c) sarsen's own ``terrain_correction`` of VV and VH onto the DEM crop of the area, calibrating with
    xarray-sentinel inside it, under several of its settings (DEM chunks, measurement chunks,
    interpolation, dask scheduler, seed step); the fastest σ0 setting is the anchor. sarsen geocodes
    β0; σ0 is had by handing it a product whose ``beta_nought`` calibrates each chunk with the
    ``sigmaNought`` LUT instead. sarsen as shipped (β0) is measured too;
(d) xarray-sentinel's ``calibrate_intensity`` to σ0 of only the radar window that (a) reads, VV and VH,
    without geocoding: a lower bound of what a user who assembles the step from it would run.

and, behind ``--whole-scene-anchor``, the former anchor (b): xarray-sentinel calibration of the whole
scene followed by sarsen's terrain correction.

Each measurement is repeated (``--repeats``, round-robin, so that changes in the machine's load fall on
every setting alike) and its median reported, with the 1-minute load average before each run.

The product is real ESA annotation (calibration, noise, orbit, geolocation grid) of
S1B_IW_GRDH_1SDV_20211223T051122 over central Italy, 16,705 lines × 26,102 samples, from
``../shared/data/real`` ("Contains modified Copernicus Sentinel data 2021"); its measurement images,
VV and VH, are written here with gamma-distributed speckle. The DEM is the real 1″ Copernicus DEM
crop of Rome from the same folder (0.1° × 0.1°, about 8.3 × 11.1 km). The areas: a 5 × 5 km box in
Rome; the largest square around it that the DEM covers (7.8 km); a 20 × 20 km square around it, which
no DEM here covers, geocoded at a constant height (the DEM's mean).

Usage: ``python3 benchmarks/sigma0_full_scene.py [--workdir DIR] [--json OUT] [--layouts safe zip_stored]
[--repeats N] [--areas 5km dem_square 20km] [--skip-anchors] [--whole-scene-anchor]
[--distributed-python PYTHON]``; ``--distributed-python`` names a Python that has ``dask.distributed``
(without it, sarsen's distributed settings are reported as failed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"
SAFE_NAME = "S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"
DEM = REAL / "dem_rome_30m_sarsen" / "Rome-30m-DEM.tif"
AREA = (12.47, 41.975, 12.53, 42.02)  # W S E N, degrees: 5.0 × 5.0 km in Rome
AREA_CRS = "EPSG:32633"
GEOID_UNDULATION_M = 48.0  # EGM96 above WGS 84 at Rome
ENL = 4.4
GOALS = {"seconds": 2.0, "peak_mb": 1024.0, "speed_ratio": 20.0}
LARGE_SIDE_M = 20_000.0
DEM_INSET_M = 60.0  # two DEM pixels kept between a grid and the DEM's edge, for bilinear resampling
THREADS = 2
LARGE_MEASUREMENT_CHUNKS = (512, 1024, 2048)  # tried for (c) on the larger areas


def build_product(workdir: Path, lines_per_block: int = 1024) -> Path:
    """The real S1B annotation with full-size VV and VH measurement GeoTIFFs of speckle (cached)."""
    safe = workdir / SAFE_NAME
    done = safe / ".complete"
    if done.exists():
        return safe
    if safe.exists():
        shutil.rmtree(safe)
    shutil.copytree(REAL / "s1_grd_sarsen_S1B_20211223" / SAFE_NAME, safe, ignore=shutil.ignore_patterns("*.tiff"))
    # the folder holds VV only; VH gets the same annotation under its own names and polarisation
    for vv in sorted(safe.rglob("*-vv-*.xml")):
        vh = vv.with_name(vv.name.replace("-vv-", "-vh-").replace("-001.xml", "-002.xml"))  # the manifest's names
        vh.write_text(vv.read_text().replace("<polarisation>VV</polarisation>", "<polarisation>VH</polarisation>"))
    import rasterio
    from rasterio.control import GroundControlPoint

    from sar2ndvi.sentinel1.safe import SafeProduct

    product = SafeProduct(safe)
    rng = np.random.default_rng(2021)
    for pol, level in (("VV", 0.08), ("VH", 0.015)):
        info = product.image_info(pol)
        gcp = product.geolocation_grid(pol)
        gcps = [
            GroundControlPoint(row=float(r), col=float(c), x=float(x), y=float(y), z=float(z))
            for r, c, x, y, z in zip(gcp.line, gcp.pixel, gcp.longitude, gcp.latitude, gcp.height, strict=True)
        ]
        lut = product.calibration_lut(pol)
        amplitude = float(np.median(np.concatenate(lut.values)))
        annotation = next((safe / "annotation").glob(f"*-{pol.lower()}-*.xml"))
        with rasterio.open(
            safe / "measurement" / f"{annotation.stem}.tiff",
            "w",
            driver="GTiff",
            width=info.samples,
            height=info.lines,
            count=1,
            dtype="uint16",
            gcps=gcps,
            crs="EPSG:4326",
        ) as dst:
            for start in range(0, info.lines, lines_per_block):
                rows = min(lines_per_block, info.lines - start)
                power = level * rng.standard_gamma(ENL, (rows, info.samples)) / ENL * amplitude**2
                block = np.clip(np.rint(np.sqrt(power)), 1, 65535).astype(np.uint16)
                dst.write(block, 1, window=rasterio.windows.Window(0, start, info.samples, rows))
    done.write_text("complete\n")
    return safe


def zipped(safe: Path, method: int) -> Path:
    """The product zipped as ASF delivers it (``method``: ZIP_STORED or ZIP_DEFLATED), cached."""
    name = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}[method]
    path = safe.parent / name / (safe.name.removesuffix(".SAFE") + ".zip")
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    with zipfile.ZipFile(tmp, "w", method, compresslevel=1 if method == zipfile.ZIP_DEFLATED else None) as archive:
        for file in sorted(safe.rglob("*")):
            if file.is_file() and file.name != ".complete":
                archive.write(file, Path(safe.name) / file.relative_to(safe))
    tmp.rename(path)
    return path


# ---------------------------------------------------------------------------------------------------
# areas and their DEMs


@dataclass
class Area:
    """A grid of (a) and the heights under it: the real DEM, or a constant (m above the ellipsoid)."""

    key: str
    label: str
    grid: dict  # AreaGrid's fields
    constant_height: float | None = None

    @property
    def side_km(self) -> tuple[float, float]:
        return (
            self.grid["width"] * self.grid["resolution"] / 1000,
            self.grid["height"] * self.grid["resolution"] / 1000,
        )


def _area_grid(name: str, x_min: float, y_max: float, side_m: float, resolution: float = 10.0):
    from sar2ndvi.grid import AreaGrid

    pixels = round(side_m / resolution)
    return AreaGrid(name, AREA_CRS, resolution, x_min, y_max, pixels, pixels)


def dem_inner_box(dem: Path = DEM) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in AREA_CRS of the largest axis-aligned box inside the DEM's footprint."""
    import rasterio
    from pyproj import Transformer

    with rasterio.open(dem) as src:
        west, south, east, north = src.bounds
    to_grid = Transformer.from_crs("EPSG:4326", AREA_CRS, always_xy=True)
    steps = np.linspace(0.0, 1.0, 201)
    lats, lons = south + steps * (north - south), west + steps * (east - west)
    x_west, _ = to_grid.transform(np.full_like(lats, west), lats)
    x_east, _ = to_grid.transform(np.full_like(lats, east), lats)
    _, y_south = to_grid.transform(lons, np.full_like(lons, south))
    _, y_north = to_grid.transform(lons, np.full_like(lons, north))
    return float(np.max(x_west)), float(np.max(y_south)), float(np.min(x_east)), float(np.min(y_north))


def areas(dem: Path = DEM) -> dict[str, Area]:
    """The 5 × 5 km area, the largest square around its centre that the DEM covers, and 20 × 20 km."""
    import rasterio

    from sar2ndvi.grid import grid_from_lonlat_box

    small = grid_from_lonlat_box("area_5km", *AREA, crs=AREA_CRS, resolution=10)
    west, south, east, north = small.bounds
    cx, cy = (west + east) / 2, (south + north) / 2
    x0, y0, x1, y1 = dem_inner_box(dem)
    half = min(cx - x0, x1 - cx, cy - y0, y1 - cy) - DEM_INSET_M
    side = math.floor(2 * half / 100) * 100
    square = _area_grid("area_dem_square", cx - side / 2, cy + side / 2, side)
    large = _area_grid("area_20km", cx - LARGE_SIDE_M / 2, cy + LARGE_SIDE_M / 2, LARGE_SIDE_M)
    with rasterio.open(dem) as src:
        heights = src.read(1, masked=True)
    mean_height = round(float(heights.mean()) + GEOID_UNDULATION_M, 1)
    found = {
        "5km": Area("5km", "5 × 5 km", asdict(small)),
        "dem_square": Area("dem_square", f"{side / 1000:.1f} × {side / 1000:.1f} km", asdict(square)),
        "20km": Area("20km", "20 × 20 km, constant height", asdict(large), constant_height=mean_height),
    }
    found["5km"].label = f"{found['5km'].side_km[0]:.2f} × {found['5km'].side_km[1]:.2f} km"
    return found


def sarsen_dem(workdir: Path, area: Area, kind: str) -> Path:
    """The DEM handed to sarsen for ``area``: heights above the WGS 84 ellipsoid, float32 (cached).

    ``kind`` "native": the DEM's own 1″ grid (EPSG:4326) over the area's lon/lat bounds, as a user would
    crop it; "utm10": the very grid and heights that (a) geocodes onto.
    """
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.warp import Resampling
    from rasterio.windows import Window, from_bounds

    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import warp_bands

    out = workdir / "dems" / f"{area.key}_{kind}.tif"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    grid = AreaGrid(**area.grid)
    if kind == "utm10":
        if area.constant_height is None:
            data = warp_bands(DEM, [1], grid, Resampling.bilinear)[0] + GEOID_UNDULATION_M
        else:
            data = np.full(grid.shape, area.constant_height, dtype=np.float32)
        crs, transform = grid.crs, grid.transform
    else:
        west, south, east, north = grid.lonlat_bounds()
        with rasterio.open(DEM) as src:
            step = src.transform.a
            if area.constant_height is None:
                exact = from_bounds(west, south, east, north, src.transform)
                col, row = math.floor(exact.col_off), math.floor(exact.row_off)
                window = Window(
                    col,
                    row,
                    math.ceil(exact.col_off + exact.width) - col,
                    math.ceil(exact.row_off + exact.height) - row,
                ).intersection(Window(0, 0, src.width, src.height))  # the lon/lat box of a UTM square can pass the edge
                raw = src.read(1, window=window, masked=True)
                data = raw.astype(np.float32).filled(np.nan) + GEOID_UNDULATION_M
                transform = src.window_transform(window)
            else:
                cols, rows = math.ceil((east - west) / step), math.ceil((north - south) / step)
                data = np.full((rows, cols), area.constant_height, dtype=np.float32)
                transform = from_origin(west, north, step, step)
        crs = "EPSG:4326"
    if not np.isfinite(data).all():
        raise ValueError(f"the DEM has no height at {int((~np.isfinite(data)).sum())} pixels of {area.label}")
    profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1, "dtype": "float32"}
    with rasterio.open(out.with_suffix(".partial.tif"), "w", **profile, crs=crs, transform=transform) as dst:
        dst.write(data.astype(np.float32), 1)
    out.with_suffix(".partial.tif").rename(out)
    return out


# ---------------------------------------------------------------------------------------------------
# the measured programs


PEAK = """
def peak_mb():
    # VmHWM belongs to this program's address space; ru_maxrss would carry the parent's peak across exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

OURS = """
import time, resource, json
{peak}import numpy as np
import rasterio
from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.geocode import geocode_backscatter
started = time.perf_counter()
grid = AreaGrid(**{grid!r})
with rasterio.open("{heights}") as src:  # the area's heights, prepared once per area as the workflow does
    heights = src.read(1)
result = geocode_backscatter("{product}", grid, heights, ("VV", "VH"), oversample=2, threads={threads})
seconds = time.perf_counter() - started
np.save("{out}", result.backscatter)
print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(),
                  "window": result.metadata["radar_window"], "valid": result.valid_fraction}}))
"""

SARSEN = """
import functools, json, resource, time
{peak}import dask
dask.config.set(scheduler="threads", num_workers={threads})
import xarray as xr
import xarray_sentinel
import sarsen
import sarsen.apps


class Sigma0Product(sarsen.Sentinel1SarProduct):
    # sarsen geocodes what beta_nought gives; here xarray-sentinel calibrates each chunk to σ0 instead
    @functools.cache
    def beta_nought(self, persist=False):
        measurement = self.measurement.data_vars["measurement"]
        lut = self.calibration.sigmaNought
        if measurement.chunks is None:
            sigma0 = xarray_sentinel.calibrate_intensity(measurement, lut)
        else:
            sigma0 = xr.map_blocks(xarray_sentinel.calibrate_intensity, measurement,
                                   kwargs={{"calibration_lut": lut}}, template=measurement.astype("float32"))
        return sigma0.drop_vars(["pixel", "line"])


def main():
    settings = {settings!r}
    started = time.perf_counter()
    client = None
    if settings["scheduler"] == "distributed client":
        from dask.distributed import Client
        client = Client(processes=False, n_workers=1, threads_per_worker={threads}, dashboard_address=None)
    kind = Sigma0Product if settings["output"] == "sigma0" else sarsen.Sentinel1SarProduct
    for pol in ("VV", "VH"):
        product = kind("{product}", measurement_group=f"IW/{{pol}}", measurement_chunks=settings["measurement_chunks"])
        sarsen.apps.terrain_correction(
            product, "{dem}", output_urlpath=f"{out}_{{pol}}.tif", chunks=settings["dem_chunks"],
            interp_method=settings["interp_method"], seed_step=settings["seed_step"],
            enable_dask_distributed=settings["scheduler"] == "enable_dask_distributed",
            client_kwargs={{"processes": False, "n_workers": 1, "threads_per_worker": {threads},
                           "dashboard_address": None}},
        )
    seconds = time.perf_counter() - started
    if client is not None:
        client.close()
    print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb()}}))


main()
"""

XSENTINEL_WINDOW = """
import time, resource, json
{peak}import numpy as np
import xarray as xr
import xarray_sentinel
started = time.perf_counter()
row, col, rows, cols = {window!r}
means = []
for pol in ("VV", "VH"):
    measurement = xr.open_dataset("{product}", engine="sentinel-1", group=f"IW/{{pol}}").measurement
    calibration = xr.open_dataset("{product}", engine="sentinel-1", group=f"IW/{{pol}}/calibration")
    window = measurement.isel(azimuth_time=slice(row, row + rows), ground_range=slice(col, col + cols))
    sigma0 = xarray_sentinel.calibrate_intensity(window, calibration.sigmaNought).values
    means.append(float(sigma0.mean()))
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(), "shape": list(sigma0.shape), "means": means}}))
"""

WHOLE_SCENE = """
import time, resource, json
{peak}import numpy as np
import xarray as xr
import xarray_sentinel
import sarsen
import sarsen.apps
started = time.perf_counter()
for pol in ("VV", "VH"):
    image = xr.open_dataset("{product}", engine="sentinel-1", group=f"IW/{{pol}}")
    calibration = xr.open_dataset("{product}", engine="sentinel-1", group=f"IW/{{pol}}/calibration")
    sigma0 = xarray_sentinel.calibrate_intensity(image.measurement, calibration.sigmaNought).compute()
    del sigma0
calibrated = time.perf_counter()
for pol in ("VV", "VH"):
    product = sarsen.Sentinel1SarProduct("{product}", measurement_group=f"IW/{{pol}}")
    gtc = sarsen.apps.terrain_correction(product, "{dem}", output_urlpath=f"{out}_{{pol}}.tif", chunks=None)
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "calibration_seconds": calibrated - started,
                  "terrain_correction_seconds": seconds - (calibrated - started),
                  "peak_mb": peak_mb()}}))
"""


@dataclass(frozen=True)
class SarsenSettings:
    """One way of calling ``sarsen.apps.terrain_correction`` (dask threads: THREADS throughout)."""

    output: str = "sigma0"  # "sigma0": σ0 LUT swapped in per chunk; "beta0": sarsen as shipped
    dem_chunks: int | None = 1024  # terrain_correction(chunks=...); sarsen's default 1024
    measurement_chunks: int | None = 2048  # Sentinel1SarProduct(measurement_chunks=...); default 2048
    interp_method: str = "nearest"  # sarsen's default
    scheduler: str = "threads"  # "threads", "distributed client" or "enable_dask_distributed"
    seed_step: tuple[int, int] | None = None
    dem: str = "native"  # "native": the DEM's 1″ grid; "utm10": (a)'s grid

    def label(self) -> str:
        text = (
            f"{'σ0' if self.output == 'sigma0' else 'β0 (as shipped)'}, DEM chunks {self.dem_chunks}, "
            f"measurement chunks {self.measurement_chunks}, {self.interp_method}, {self.scheduler}"
        )
        if self.seed_step:
            text += f", seed_step {self.seed_step[0]}"
        return text + (", onto (a)'s 10 m UTM grid" if self.dem == "utm10" else ", onto the DEM's 1″ grid")

    def child_settings(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "dem"}


def sweep_settings() -> list[SarsenSettings]:
    """The first round: chunk sizes of the DEM and of the measurement, σ0; and sarsen as shipped."""
    settings = [
        SarsenSettings(dem_chunks=dem_chunks, measurement_chunks=measurement_chunks)
        for dem_chunks in (None, 1024, 2048, 4096)
        for measurement_chunks in (512, 1024, 2048)
    ]
    # the measurement chunks bound what is read and calibrated around the window; None would calibrate the
    # whole scene (as (b) does), so σ0 is measured with chunks only
    settings += [SarsenSettings(dem_chunks=None, measurement_chunks=chunks) for chunks in (256, 4096)]
    settings += [
        SarsenSettings(output="beta0"),  # sarsen's defaults
        SarsenSettings(output="beta0", dem_chunks=None, measurement_chunks=None),
    ]
    return settings


def second_round(best: SarsenSettings) -> list[SarsenSettings]:
    """Around the fastest σ0 setting: bilinear, a seed step, dask.distributed, and (a)'s own 10 m grid."""
    from dataclasses import replace

    return [
        replace(best, interp_method="linear"),
        replace(best, seed_step=(32, 32)),
        replace(best, scheduler="distributed client"),
        replace(best, scheduler="enable_dask_distributed"),
        replace(best, dem="utm10"),
    ]


# the fastest settings of the full sweep and second round (benchmarks/README.md), for --sarsen-fastest-known
FASTEST_SIGMA0 = SarsenSettings(dem_chunks=4096, measurement_chunks=512, seed_step=(32, 32))
FASTEST_SHIPPED = SarsenSettings(output="beta0", dem_chunks=None, measurement_chunks=None)


# ---------------------------------------------------------------------------------------------------
# running and recording


def run_child(code: str, threads: int = THREADS, python: str | None = None, timeout: float | None = None) -> dict:
    """Run ``code`` in a fresh Python process limited to ``threads`` threads; its last line is JSON."""
    env = {
        **os.environ,
        **{k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GDAL_NUM_THREADS")},
        "NUMBA_NUM_THREADS": str(threads),
    }
    command = [python or sys.executable, "-c", textwrap.dedent(code)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def drop_file_cache(path: Path) -> bool:
    """Evict ``path``'s pages from the page cache (Linux), for a cold read; False where not possible."""
    try:
        for file in [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]:
            fd = os.open(file, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        return True
    except (AttributeError, OSError):
        return False


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Measurement:
    """One step under one setting, run ``repeats`` times; ``runs`` hold each run's figures."""

    key: str
    step: str
    code: str
    python: str | None = None
    timeout: float | None = None
    cold: Path | None = None  # drop this product's pages from the page cache before each run
    runs: list[dict] = field(default_factory=list)
    error: str | None = None
    extra: dict = field(default_factory=dict)

    def run(self) -> None:
        if self.error:
            return
        if self.cold is not None and not drop_file_cache(self.cold):
            self.step = self.step.replace("cold", "cache not dropped")
        load = os.getloadavg()[0]
        cpu = children_cpu_seconds()
        started = time.perf_counter()
        try:
            figures = run_child(self.code, python=self.python, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.error = f"did not finish in {self.timeout:.0f} s"
            return
        except RuntimeError as error:
            lines = [line for line in str(error).splitlines() if line.strip()]
            self.error = f"failed: {lines[-1].strip() if lines else 'no message'}"
            return
        figures.update(
            load=load, cpu_seconds=children_cpu_seconds() - cpu, process_seconds=time.perf_counter() - started
        )
        self.runs.append(figures)

    @property
    def seconds(self) -> float:
        return statistics.median(r["seconds"] for r in self.runs) if self.runs else math.inf

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r["cpu_seconds"] for r in self.runs) if self.runs else math.inf

    @property
    def peak_mb(self) -> float:
        return max((r["peak_mb"] for r in self.runs), default=math.nan)

    def summary(self) -> dict:
        result = {"key": self.key, "step": self.step, **self.extra}
        if self.error:
            result["error"] = self.error
        if self.runs:
            result.update(
                seconds=self.seconds,
                peak_mb=self.peak_mb,
                cpu_seconds=self.cpu_seconds,
                runs_seconds=[r["seconds"] for r in self.runs],
                loads=[r["load"] for r in self.runs],
            )
        return result


def run_round(measurements: list[Measurement], repeats: int, done: int = 0, total: int | None = None) -> None:
    """Every measurement ``repeats`` times, round-robin (``done`` of ``total`` rounds already run)."""
    total = total or done + repeats
    for repeat in range(done, done + repeats):
        for m in measurements:
            before = len(m.runs)
            m.run()
            last = f"{m.runs[-1]['seconds']:.2f} s" if len(m.runs) > before else m.error
            print(f"  [{repeat + 1}/{total}] {m.step}: {last} (load {os.getloadavg()[0]:.2f})", flush=True)


def print_table(measurements: list[Measurement]) -> None:
    width = max(len(m.step) for m in measurements)
    print(f"\n{'step':<{width}} {'median s':>9} {'CPU s':>6} {'peak MB':>8}  runs s (load average before each)")
    for m in measurements:
        if m.error and not m.runs:
            print(f"{m.step:<{width}} {m.error}")
            continue
        runs = " ".join(f"{r['seconds']:.1f} ({r['load']:.1f})" for r in m.runs)
        print(f"{m.step:<{width}} {m.seconds:9.2f} {m.cpu_seconds:6.1f} {m.peak_mb:8.0f}  {runs}")


def area_means(path: Path | str) -> list[float]:
    import rasterio

    if str(path).endswith(".npy"):
        data = np.load(path)
        return [float(np.nanmean(band)) for band in data]
    with rasterio.open(path) as src:
        band = src.read(1).astype(np.float64)
    return [float(np.nanmean(np.where(band > 0, band, np.nan)))]


# ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--layouts", nargs="+", default=["safe", "zip_stored", "zip_deflated"])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each measurement; the median is reported")
    parser.add_argument("--areas", nargs="+", default=["5km", "dem_square", "20km"])
    parser.add_argument("--skip-anchors", action="store_true", help="measure only (a)")
    parser.add_argument(
        "--sarsen-fastest-known",
        action="store_true",
        help="run (c) only at the fastest settings the full sweep found (FASTEST_SIGMA0, FASTEST_SHIPPED)",
    )
    parser.add_argument(
        "--whole-scene-anchor", action="store_true", help="also (b): xarray-sentinel on the whole scene, then sarsen"
    )
    parser.add_argument(
        "--distributed-python",
        default=sys.executable,
        help="Python with dask.distributed, for sarsen's distributed settings (default: this one)",
    )
    parser.add_argument("--large-timeout", type=float, default=600.0, help="seconds allowed to (c) on a larger area")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    (args.workdir / "out").mkdir(exist_ok=True)
    out = args.workdir / "out"
    print(f"start: load average {os.getloadavg()[0]:.2f}", flush=True)

    safe = build_product(args.workdir)
    products = {
        "safe": lambda: safe,
        "zip_stored": lambda: zipped(safe, zipfile.ZIP_STORED),
        "zip_deflated": lambda: zipped(safe, zipfile.ZIP_DEFLATED),
    }
    layout_names = {
        "safe": "`.SAFE` folder",
        "zip_stored": "zip with the TIFFs stored",
        "zip_deflated": "zip with the TIFFs deflated",
    }
    found = areas()
    small = found["5km"]

    def ours(area: Area, product: Path, name: str) -> str:
        return OURS.format(
            peak=PEAK,
            grid=area.grid,
            heights=sarsen_dem(args.workdir, area, "utm10"),
            product=product,
            threads=THREADS,
            out=out / f"ours_{name}.npy",
        )

    def sarsen_measurement(area: Area, settings: SarsenSettings, index: int, timeout: float | None = None):
        dem = sarsen_dem(args.workdir, area, settings.dem)
        code = SARSEN.format(
            peak=PEAK, threads=THREADS, settings=settings.child_settings(), product=safe, dem=dem,
            out=out / f"sarsen_{area.key}_{index}",
        )  # fmt: skip
        distributed = settings.scheduler != "threads"
        return Measurement(
            f"c_{area.key}_{index}",
            f"(c) sarsen, {area.label}: {settings.label()}",
            code,
            python=args.distributed_python if distributed else None,
            timeout=timeout,
            extra={"settings": asdict(settings), "output_prefix": str(out / f"sarsen_{area.key}_{index}")},
        )

    def window_measurement(area: Area, window: list[int]) -> Measurement:
        code = XSENTINEL_WINDOW.format(peak=PEAK, window=window, product=safe)
        return Measurement(
            f"d_{area.key}",
            f"(d) xarray-sentinel σ0 of the radar window {window[2]} × {window[3]} only, no geocoding, {area.label}",
            code,
            extra={"window": window},
        )

    # (a) on the 5 km area: every layout, cold and warm
    print(f"\n(a) on {small.label}", flush=True)
    first: list[Measurement] = []
    for layout in args.layouts:
        product = products[layout]()
        for state in ("cold", "warm"):
            first.append(
                Measurement(
                    f"a_5km_{layout}_{state}",
                    f"(a) sar2ndvi σ0, {small.label}, {layout_names[layout]}, {state}",
                    ours(small, product, f"5km_{layout}"),
                    cold=product if state == "cold" else None,
                )
            )
    run_round(first, args.repeats)
    ours_safe = next((m for m in first if m.key == "a_5km_safe_warm"), None) or first[-1]
    if not ours_safe.runs:
        raise RuntimeError(f"(a) failed: {ours_safe.error}")
    window = ours_safe.runs[-1]["window"]
    measurements = list(first)

    best: Measurement | None = None
    anchors: dict[str, Measurement] = {}
    if not args.skip_anchors:
        # (d) and the first round of (c), round-robin
        print(f"\n(c) first round and (d) on {small.label}", flush=True)
        window_5km = window_measurement(small, window)
        settings = [FASTEST_SIGMA0, FASTEST_SHIPPED] if args.sarsen_fastest_known else sweep_settings()
        sweep = [sarsen_measurement(small, s, i) for i, s in enumerate(settings)]
        # (a) runs again beside its anchors, so that their ratio is taken under the same load
        run_round([ours_safe, window_5km, *sweep], args.repeats)
        second = []
        if not args.sarsen_fastest_known:
            sigma0_runs = [m for m in sweep if m.extra["settings"]["output"] == "sigma0" and m.runs]
            best = min(sigma0_runs, key=lambda m: m.seconds)
            best_settings = SarsenSettings(**{**best.extra["settings"], "seed_step": None})
            print(f"\n(c) second round, around {best_settings.label()}", flush=True)
            second = [sarsen_measurement(small, s, 100 + i) for i, s in enumerate(second_round(best_settings))]
            run_round([ours_safe, *second], args.repeats)
        measurements += [window_5km, *sweep, *second]
        sigma0_all = [m for m in sweep + second if m.extra["settings"]["output"] == "sigma0" and m.runs]
        best = min(sigma0_all, key=lambda m: m.seconds)
        shipped = [m for m in sweep if m.extra["settings"]["output"] == "beta0" and m.runs]
        anchors = {"(c) sarsen, fastest σ0 setting": best, "(d) xarray-sentinel, window only": window_5km}
        if shipped:
            anchors["(c) sarsen as shipped (β0), fastest setting"] = min(shipped, key=lambda m: m.seconds)

    # larger areas: (a) .SAFE warm, (d), and (c) at the fastest σ0 setting with the measurement chunks that
    # suit a larger window, onto the DEM's grid and onto (a)'s
    larger = []
    for key in args.areas:
        if key == "5km":
            continue
        area = found[key]
        print(f"\n{area.label}", flush=True)
        group = [Measurement(f"a_{key}_safe_warm", f"(a) sar2ndvi σ0, {area.label}, `.SAFE` folder, warm", "")]
        group[0].code = ours(area, safe, f"{key}_safe")
        run_round(group, 1, total=args.repeats)  # once first, for its radar window
        if not args.skip_anchors and group[0].runs:
            group.append(window_measurement(area, group[0].runs[-1]["window"]))
            for dem in ("native", "utm10"):
                for chunks in LARGE_MEASUREMENT_CHUNKS:
                    settings = SarsenSettings(**{**best.extra["settings"], "dem": dem, "measurement_chunks": chunks})
                    index = 200 + len(larger) + len(group)
                    group.append(sarsen_measurement(area, settings, index, args.large_timeout))
            run_round(group[1:], 1, total=args.repeats)
        run_round(group, args.repeats - 1, done=1)
        larger += group
    measurements += larger

    if args.whole_scene_anchor:
        whole = Measurement(
            "b_5km",
            "(b) xarray-sentinel calibration of the whole scene + sarsen terrain correction (β0), `.SAFE`",
            WHOLE_SCENE.format(
                peak=PEAK, product=safe, dem=sarsen_dem(args.workdir, small, "native"), out=out / "whole"
            ),
        )
        run_round([whole], 1)
        measurements.append(whole)

    # report
    print(f"\nproduct: {safe.name}, 16705 lines x 26102 samples, VV + VH; {THREADS} threads per process")
    print(f"radar window read by (a) on {small.label} (row, col, rows, cols): {window}")
    for area in found.values():
        if area.key in args.areas:
            height = "the real DEM" if area.constant_height is None else f"a constant {area.constant_height} m"
            print(f"area {area.key}: {area.label}, grid {area.grid['width']} x {area.grid['height']} at 10 m, {height}")
    print_table(measurements)
    summary = {
        "rows": [m.summary() for m in measurements],
        "areas": {k: asdict(v) for k, v in found.items()},
        "load_average_end": os.getloadavg(),
        "cpu": THREADS,
    }

    print(
        f"\n(a) = {ours_safe.step}: median {ours_safe.seconds:.2f} s ({len(ours_safe.runs)} runs, interleaved with "
        f"the anchors), CPU {ours_safe.cpu_seconds:.1f} s, peak {ours_safe.peak_mb:.0f} MB"
    )
    ratios, cpu_ratios = {}, {}
    for name, anchor in anchors.items():
        ratios[name] = anchor.seconds / ours_safe.seconds
        cpu_ratios[name] = anchor.cpu_seconds / ours_safe.cpu_seconds
        print(
            f"{name}: median {anchor.seconds:.2f} s, CPU {anchor.cpu_seconds:.1f} s, peak {anchor.peak_mb:.0f} MB; "
            f"{ratios[name]:.1f}x (a)'s wall time, {cpu_ratios[name]:.1f}x its CPU time"
        )
    for key in args.areas:
        if key == "5km" or args.skip_anchors:
            continue
        area_rows = [m for m in measurements if m.key.split("_", 1)[1].startswith(key) and m.runs]
        mine = next((m for m in area_rows if m.key.startswith("a_")), None)
        if mine is None:
            continue
        print(f"{found[key].label}: (a) median {mine.seconds:.2f} s, {mine.peak_mb:.0f} MB")
        for label, kind in (("(c) onto the DEM's 1″ grid", "native"), ("(c) onto (a)'s grid", "utm10")):
            theirs = [m for m in area_rows if m.key.startswith("c_") and m.extra["settings"]["dem"] == kind]
            if theirs:
                fastest = min(theirs, key=lambda m: m.seconds)
                chunks = fastest.extra["settings"]["measurement_chunks"]
                print(
                    f"  fastest {label} (measurement chunks {chunks}): {fastest.seconds:.2f} s, "
                    f"{fastest.peak_mb:.0f} MB, {fastest.seconds / mine.seconds:.1f}x (a)'s time"
                )
        window = next((m for m in area_rows if m.key.startswith("d_")), None)
        if window is not None:
            print(f"  (d): {window.seconds:.2f} s, {window.seconds / mine.seconds:.1f}x (a)'s time")
    if best is not None:
        print(f"fastest σ0 setting of sarsen on {small.label}: {best.step}")
        prefix = best.extra["output_prefix"]
        utm = next((m for m in measurements if m.key.startswith("c_5km") and "(a)'s 10 m" in m.step), None)
        if utm is not None and utm.runs:
            theirs = [area_means(f"{utm.extra['output_prefix']}_{pol}.tif")[0] for pol in ("VV", "VH")]
            mine = area_means(out / "ours_5km_safe.npy")
            compare = ", ".join(
                f"{pol} {t:.4f} / {m_:.4f}" for pol, t, m_ in zip(("VV", "VH"), theirs, mine, strict=True)
            )
            print(f"area mean σ0 on (a)'s grid, sarsen / sar2ndvi (sarsen removes no thermal noise): {compare}")
            summary["area_means_sarsen_vs_ours"] = {"sarsen": theirs, "sar2ndvi": mine}
        summary["best_sarsen_output"] = prefix
    summary["ratios"] = ratios
    summary["cpu_ratios"] = cpu_ratios
    checks = {
        "≤ 2 s": ours_safe.seconds <= GOALS["seconds"],
        "≤ 1 GB": ours_safe.peak_mb <= GOALS["peak_mb"],
    }
    for name, ratio in ratios.items():
        checks[f"≥ 20x {name}"] = ratio >= GOALS["speed_ratio"]
    if ratios:
        checks["≥ 20x the fastest anchor"] = min(ratios.values()) >= GOALS["speed_ratio"]
    verdicts = "\n  ".join(f"{k}: {'PASS' if ok else 'MISS'}" for k, ok in checks.items())
    print(f"goals for (a) on {small.label}:\n  {verdicts}")
    summary["goals"] = checks
    print(f"end: load average {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
