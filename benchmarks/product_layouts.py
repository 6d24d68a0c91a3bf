"""Sentinel-1 product layouts: the time to unpack each archive form, and σ0 of the unpacked product.

One acquisition of the demo world (the ``demo`` section of ``config/config.yaml``: its first track,
984 lines × 963 samples) is written in every layout of :func:`sar2ndvi.demo.sentinel1.write_product`:
tiled deflate TIFFs stored in the zip (the demo archive's), ESA's uncompressed TIFFs stored or
deflated in the zip, and the COG product (``_COG.zip``, ZSTD COG measurements). For each layout:

- the zip's size, the time :func:`sar2ndvi.sentinel1.layout.unpack_product` takes to unpack VV and
  VH (what the workflow's ``s1_download`` does once per scene), and the unpacked folder's size;
- the time of the workflow's σ0 step (:func:`sar2ndvi.sentinel1.geocode.geocode_backscatter`, VV and VH,
  oversample 2, onto the pre-training grid with the world's terrain) on the unpacked folder, and on
  the zip read in place for comparison; and whether its σ0 is identical to the zip's.

With ``--full-size``, also the unpack time at the size of a real scene: the demo product's VV image
replaced by a 16,705 × 26,102-sample measurement TIFF of speckle (as ESA's, uncompressed, 872 MB; or
as a ZSTD COG), stored, deflated or COG in the zip. It writes about 4 GB under the work folder.

Times are the best of ``--repeat`` runs in this process (warm page cache; the best, not the median,
because other work on the machine only ever adds time), 2 threads.
Usage: ``python3 benchmarks/product_layouts.py [--repeat 5] [--full-size] [--json OUT]``
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GDAL_NUM_THREADS"):
    os.environ.setdefault(_name, "2")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FULL_SIZE = (16_705, 26_102)  # lines × samples of S1B_IW_GRDH_1SDV_20211223T051122 (central Italy)
ENL = 4.4


def best_seconds(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Shortest wall time of ``repeat`` calls of ``run``, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def unpack_timed(zipped: Path, dest: Path, polarisations: list[str], repeat: int) -> float:
    """Best seconds of unpacking ``zipped`` into a fresh ``dest`` (the last one is kept)."""
    from sar2ndvi.sentinel1.layout import unpack_product

    def once() -> Path:
        if dest.exists():
            shutil.rmtree(dest)
        return unpack_product(zipped, dest, polarisations)

    return best_seconds(once, repeat)[0]


def demo_scene(workdir: Path, config: Path) -> tuple[dict[str, Path], object, np.ndarray]:
    """The demo acquisition in every layout, the pre-training grid and its ellipsoidal heights."""
    from sar2ndvi.demo import DemoSpec, World
    from sar2ndvi.demo import sentinel1 as s1

    world = World(DemoSpec.from_config(yaml.safe_load(config.read_text())))
    relative, incidence = world.spec.tracks[0]
    track = s1.track_geometry(world, relative, incidence)
    scene = next(s for s in s1.scene_list(world) if s.track == 0)
    products = {}
    for layout in s1.PRODUCT_LAYOUTS:
        folder = workdir / "demo" / layout
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        products[layout] = s1.write_product(world, scene, track, folder, np.random.default_rng(2017), layout=layout)
    grid = world.area_grids["pretrain"]
    heights = world.ellipsoidal_height(*grid.pixel_centres())
    print(f"demo scene {scene.name}: {track.lines} lines × {track.samples} samples, grid {grid.shape}")
    return products, grid, heights


def measure_demo(workdir: Path, config: Path, repeat: int) -> list[dict]:
    from sar2ndvi.sentinel1.geocode import geocode_backscatter
    from sar2ndvi.sentinel1.layout import product_name

    products, grid, heights = demo_scene(workdir, config)

    def sigma0_of(path: Path) -> Callable[[], np.ndarray]:
        return lambda: (
            geocode_backscatter(str(path), grid, heights, polarisations=("VV", "VH"), oversample=2).backscatter
        )

    rows, reference = [], None
    for layout, zipped in products.items():
        dest = workdir / "demo" / "products" / f"{product_name(zipped)}.SAFE"
        unpack_s = unpack_timed(zipped, dest, ["VV", "VH"], repeat)
        unpacked_s, unpacked = best_seconds(sigma0_of(dest), repeat)
        in_place_s, in_place = best_seconds(sigma0_of(zipped), repeat)
        reference = unpacked if reference is None else reference
        rows.append(
            {
                "layout": layout,
                "zip_mb": zipped.stat().st_size / 1e6,
                "unpacked_mb": folder_bytes(dest) / 1e6,
                "unpack_s": unpack_s,
                "sigma0_unpacked_s": unpacked_s,
                "sigma0_in_place_s": in_place_s,
                "same_as_in_place": bool(np.array_equal(unpacked, in_place, equal_nan=True)),
                "same_as_first_layout": bool(np.array_equal(unpacked, reference, equal_nan=True)),
            }
        )
        shutil.rmtree(dest)
    return rows


def full_size_tiff(workdir: Path, form: str, lines_per_block: int = 1024) -> Path:
    """A full-size uint16 measurement TIFF of gamma speckle, uncompressed (``plain``) or ZSTD COG (cached)."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.shutil import copy as gdal_copy
    from rasterio.windows import Window

    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)  # radar geometry: no transform

    lines, samples = FULL_SIZE
    plain = workdir / "full" / "plain.tiff"
    if not plain.exists():
        plain.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(2021)
        tmp = plain.with_suffix(".partial")
        profile = {"driver": "GTiff", "width": samples, "height": lines, "count": 1, "dtype": "uint16"}
        with rasterio.open(tmp, "w", **profile) as dst:
            for start in range(0, lines, lines_per_block):
                rows = min(lines_per_block, lines - start)
                power = 0.08 * rng.standard_gamma(ENL, (rows, samples), dtype=np.float32) / ENL * 650.0**2
                block = np.clip(np.rint(np.sqrt(power)), 1, 65535).astype(np.uint16)
                dst.write(block, 1, window=Window(0, start, samples, rows))
        tmp.rename(plain)
    if form == "plain":
        return plain
    cog = workdir / "full" / "cog.tiff"
    if not cog.exists():
        tmp = cog.with_suffix(".partial")
        options = {"blocksize": 1024, "compress": "zstd", "overview_resampling": "rms", "num_threads": 2}
        gdal_copy(str(plain), str(tmp), driver="COG", **options)
        tmp.rename(cog)
    return cog


def measure_full_size(workdir: Path, demo_zips: dict[str, Path], repeat: int) -> list[dict]:
    """Unpack times of the demo product's zip with its VV image replaced by a full-size one."""
    from sar2ndvi.sentinel1.layout import product_name

    rows = []
    for layout, form, method in (
        ("zip_stored", "plain", zipfile.ZIP_STORED),
        ("zip_deflated", "plain", zipfile.ZIP_DEFLATED),
        ("cog", "cog", zipfile.ZIP_STORED),
    ):
        tiff = full_size_tiff(workdir, form)
        source = demo_zips[layout]
        zipped = workdir / "full" / layout / source.name
        if zipped.exists():
            zipped.unlink()
        zipped.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with zipfile.ZipFile(source) as small, zipfile.ZipFile(zipped, "w", compresslevel=1) as big:
            for info in small.infolist():
                if "/measurement/" in info.filename and "-vv-" in info.filename:
                    big.write(tiff, info.filename, compress_type=method)
                elif "-vv-" in info.filename or info.filename.endswith("manifest.safe"):
                    big.writestr(info, small.read(info), compress_type=info.compress_type)
        zip_s = time.perf_counter() - started
        dest = workdir / "full" / "products" / f"{product_name(zipped)}.SAFE"
        unpack_s = unpack_timed(zipped, dest, ["VV"], repeat)
        rows.append(
            {
                "layout": layout,
                "tiff_mb": tiff.stat().st_size / 1e6,
                "zip_mb": zipped.stat().st_size / 1e6,
                "zip_s": zip_s,
                "unpack_s": unpack_s,
                "unpacked_mb": folder_bytes(dest) / 1e6,
            }
        )
        shutil.rmtree(dest)
        zipped.unlink()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / ".work" / "layouts")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--full-size", action="store_true", help="also unpack a full-size scene's measurement")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)

    demo = measure_demo(args.workdir, args.config, args.repeat)
    print(f"\nbest of {args.repeat} runs, 2 threads, load average {os.getloadavg()[0]:.1f}\n")
    print("| layout | zip MB | unpack s | unpacked MB | σ0 unpacked s | σ0 zip in place s | σ0 identical |")
    print("|---|---|---|---|---|---|---|")
    for r in demo:
        same = "yes" if r["same_as_in_place"] and r["same_as_first_layout"] else "NO"
        print(
            f"| {r['layout']} | {r['zip_mb']:.2f} | {r['unpack_s']:.3f} | {r['unpacked_mb']:.2f} | "
            f"{r['sigma0_unpacked_s']:.3f} | {r['sigma0_in_place_s']:.3f} | {same} |"
        )
    figures = {"demo": demo}
    if args.full_size:
        layouts = ("zip_stored", "zip_deflated", "cog")
        demo_zips = {layout: next((args.workdir / "demo" / layout).glob("*.zip")) for layout in layouts}
        full = measure_full_size(args.workdir, demo_zips, max(1, min(args.repeat, 3)))
        lines, samples = FULL_SIZE
        print(f"\nfull size, VV only ({lines:,} × {samples:,} samples)\n")
        print("| layout | measurement TIFF MB | zip MB | unpack s | unpacked MB |")
        print("|---|---|---|---|---|")
        for r in full:
            print(
                f"| {r['layout']} | {r['tiff_mb']:.0f} | {r['zip_mb']:.0f} | {r['unpack_s']:.2f} | "
                f"{r['unpacked_mb']:.0f} |"
            )
        figures["full_size"] = full
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
