"""σ0 of a 5 × 5 km area from a full-size Sentinel-1 IW GRDH product: time and peak memory.

Compares, each in a fresh process on the same product:

(a) sar2ndvi's σ0 step (``geocode_sigma0``): reads only the radar window the area needs, calibrates
    and removes thermal noise there, and geocodes onto a 10 m UTM grid with the DEM;
(b) the chain a user would otherwise assemble: xarray-sentinel calibration of the whole scene
    (σ0 of every pixel, VV and VH) followed by sarsen's terrain correction of the area onto the DEM.

The product is real ESA annotation (calibration, noise, orbit, geolocation grid) of
S1B_IW_GRDH_1SDV_20211223T051122 over central Italy, 16,705 lines × 26,102 samples, from
``../shared/data/real`` ("Contains modified Copernicus Sentinel data 2021"); its measurement images,
VV and VH, are written here with gamma-distributed speckle. The DEM is the real 1″ Copernicus DEM
crop of Rome from the same folder. The area is a 5 × 5 km box in Rome.

Usage: ``python3 benchmarks/sigma0_full_scene.py [--workdir DIR] [--json OUT] [--layouts safe zip]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
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


def area_dem(workdir: Path) -> Path:
    """The DEM cropped to the area plus 1 km, in its own CRS (WGS 84 + EGM96), for sarsen."""
    out = workdir / "dem_area.tif"
    if not out.exists():
        import rasterio
        from rasterio.windows import from_bounds

        west, south, east, north = AREA
        pad = 0.012
        with rasterio.open(DEM) as src:
            window = from_bounds(west - pad, south - pad, east + pad, north + pad, src.transform).round_offsets()
            window = window.round_lengths()
            data = src.read(1, window=window)
            profile = {
                **src.profile,
                "width": data.shape[1],
                "height": data.shape[0],
                "transform": src.window_transform(window),
            }
        with rasterio.open(out, "w", **profile) as dst:
            dst.write(data, 1)
    return out


OURS = """
import time, resource, json
{peak}import numpy as np
from rasterio.warp import Resampling
from sar2ndvi.grid import grid_from_lonlat_box
from sar2ndvi.optical import warp_bands
from sar2ndvi.sentinel1.geocode import geocode_sigma0
started = time.perf_counter()
grid = grid_from_lonlat_box("area", *{area}, crs="{crs}", resolution=10)
heights = warp_bands("{dem}", [1], grid, Resampling.bilinear)[0] + {undulation}
result = geocode_sigma0("{product}", grid, heights, ("VV", "VH"), oversample=2)
seconds = time.perf_counter() - started
np.save("{out}", result.sigma0)
print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(),
                  "window": result.metadata["radar_window"], "valid": result.valid_fraction}}))
"""

ALTERNATIVE = """
import time, resource, json
{peak}import numpy as np
import xarray as xr
import xarray_sentinel
import sarsen
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


PEAK = """
def peak_mb():
    # VmHWM belongs to this program's address space; ru_maxrss would carry the parent's peak across exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def run_child(code: str, threads: int = 2) -> dict:
    """Run ``code`` in a fresh Python process limited to ``threads`` threads; its last line is JSON."""
    env = {
        **os.environ,
        **{k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GDAL_NUM_THREADS")},
    }
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--layouts", nargs="+", default=["safe", "zip_stored", "zip_deflated"])
    parser.add_argument("--skip-alternative", action="store_true", help="measure only (a)")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)

    safe = build_product(args.workdir)
    products = {
        "safe": lambda: safe,
        "zip_stored": lambda: zipped(safe, zipfile.ZIP_STORED),
        "zip_deflated": lambda: zipped(safe, zipfile.ZIP_DEFLATED),
    }
    dem = area_dem(args.workdir)
    rows = []
    for layout in args.layouts:
        product = products[layout]()
        for state in ("cold", "warm"):
            if state == "cold" and not drop_file_cache(product):
                state = "cache not dropped"
            figures = run_child(
                OURS.format(
                    peak=PEAK,
                    area=AREA,
                    crs=AREA_CRS,
                    dem=DEM,
                    undulation=GEOID_UNDULATION_M,
                    product=product,
                    out=args.workdir / f"ours_{layout}.npy",
                )
            )
            rows.append({"step": f"(a) sar2ndvi σ0, {layout}, {state}", **figures})
    if not args.skip_alternative:
        figures = run_child(ALTERNATIVE.format(peak=PEAK, product=safe, dem=dem, out=args.workdir / "sarsen"))
        rows.append({"step": "(b) xarray-sentinel calibration + sarsen terrain correction, safe", **figures})

    warm = [r for r in rows if r["step"].startswith("(a)") and r["step"].endswith("warm")]
    ours_safe = next((r for r in warm if ", safe," in r["step"]), warm[0])
    print(f"\nproduct: {safe.name}, 16705 lines x 26102 samples, VV + VH")
    print(f"radar window read by (a) (row, col, rows, cols): {ours_safe['window']}")
    print(f"area: {AREA} (W S E N, degrees) on a 10 m {AREA_CRS} grid; load average {os.getloadavg()[0]:.2f}\n")
    print(f"{'step':<72} {'wall s':>8} {'peak MB':>9}")
    for row in rows:
        print(f"{row['step']:<72} {row['seconds']:8.2f} {row['peak_mb']:9.0f}")
    summary = {"rows": rows, "load_average": os.getloadavg()[0]}
    if not args.skip_alternative:
        alternative = rows[-1]
        ratio = alternative["seconds"] / ours_safe["seconds"]
        summary["speed_ratio"] = ratio
        print(
            f"\n(b) / (a): {ratio:.0f}x faster (calibration {alternative['calibration_seconds']:.1f} s, "
            f"terrain correction {alternative['terrain_correction_seconds']:.1f} s)"
        )
        checks = {
            "≤ 2 s": ours_safe["seconds"] <= GOALS["seconds"],
            "≤ 1 GB": ours_safe["peak_mb"] <= GOALS["peak_mb"],
            "≥ 20x": ratio >= GOALS["speed_ratio"],
        }
        verdicts = ", ".join(f"{k} {'PASS' if ok else 'MISS'}" for k, ok in checks.items())
        print(f"goals ({ours_safe['step']}): {verdicts}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
