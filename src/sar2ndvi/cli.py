"""The ``sar2ndvi`` command: steps of the workflow usable on their own.

- ``sar2ndvi sigma0 PRODUCT --bbox W S E N --dem DEM.tif --out OUT.tif``: calibrated, noise-removed,
  terrain-corrected σ0 (VV, VH; linear power) of a GRD product on a snapped grid, as the workflow's
  σ0 step computes it. ``--window ROW COL ROWS COLS`` instead writes calibrated σ0 of a radar-geometry
  window without geocoding (for checks).
- ``sar2ndvi demo --config config/config.yaml --out DIR``: write the offline demo archive.
"""

from __future__ import annotations

import argparse
import logging
import sys
import zipfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError


def _sigma0(args: argparse.Namespace) -> int:
    from rasterio.warp import Resampling

    from sar2ndvi.grid import grid_from_lonlat_box
    from sar2ndvi.io import atomic_path, write_raster
    from sar2ndvi.optical import warp_bands
    from sar2ndvi.sentinel1.calibration import sigma0_window
    from sar2ndvi.sentinel1.geocode import geocode_sigma0
    from sar2ndvi.sentinel1.orbit_file import read_orbit_file
    from sar2ndvi.sentinel1.safe import SafeProduct

    pols = tuple(args.polarisations)
    if args.window:
        bands = np.stack(
            [sigma0_window(args.product, pol, tuple(args.window), not args.keep_noise, args.negative) for pol in pols]
        )
        with (
            atomic_path(args.out, suffix=".tif") as tmp,
            rasterio.open(
                tmp,
                "w",
                driver="GTiff",
                count=len(pols),
                height=bands.shape[1],
                width=bands.shape[2],
                dtype="float32",
                nodata=np.nan,
                compress="deflate",
            ) as dst,
        ):
            dst.write(bands)
            for band, pol in enumerate(pols, start=1):
                dst.set_band_description(band, f"sigma0_{pol} (linear, radar geometry)")
        return 0
    if not args.bbox:
        raise SystemExit("give --bbox W S E N (degrees) for geocoded output, or --window for radar geometry")
    grid = grid_from_lonlat_box("area", *args.bbox, crs=args.crs, resolution=args.resolution)
    if args.dem:
        heights = warp_bands(args.dem, [1], grid, Resampling.bilinear)[0] + args.geoid_undulation
    else:
        heights = np.zeros(grid.shape)
    product = SafeProduct(args.product)
    orbit = None
    if args.orbit_file:
        info = product.info
        orbit = read_orbit_file(args.orbit_file, info.start_time, info.stop_time)
    result = geocode_sigma0(
        product,
        grid,
        heights,
        pols,
        args.oversample,
        not args.keep_noise,
        args.negative,
        terrain_correction=args.dem is not None,
        orbit=orbit,
        speckle_filter=args.speckle_filter,
        speckle_window=args.speckle_window,
        radiometry=args.radiometry,
        threads=args.threads,
        border_noise="never" if args.keep_border_noise else "auto",
    )
    if result.metadata["radar_window"] is None or result.valid_fraction == 0:
        west, south, east, north = args.bbox
        raise ValueError(
            f"{args.product}: the product does not cover --bbox {west} {south} {east} {north}; give a box "
            "inside its footprint (see its manifest.safe) or another product"
        )
    write_raster(
        args.out,
        result.sigma0,
        grid,
        [f"sigma0_{p} (linear)" for p in pols],
        {k: str(v) for k, v in result.metadata.items()},
    )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from sar2ndvi.demo.__main__ import main as demo_main

    return demo_main(["--config", str(args.config), "--out", str(args.out)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sar2ndvi", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sigma0", help="σ0 of a Sentinel-1 IW GRD product")
    s.add_argument("product", type=Path, help="GRD .zip or .SAFE folder")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--bbox", type=float, nargs=4, metavar=("W", "S", "E", "N"), help="area, degrees")
    s.add_argument("--crs", default="EPSG:32654")
    s.add_argument("--resolution", type=float, default=10.0, help="metres")
    s.add_argument("--dem", type=Path, help="DEM GeoTIFF of orthometric heights (none: no terrain correction)")
    s.add_argument("--geoid-undulation", type=float, default=39.5, help="geoid above ellipsoid, metres")
    s.add_argument(
        "--window",
        type=int,
        nargs=4,
        metavar=("ROW", "COL", "ROWS", "COLS"),
        help="radar-geometry window instead of a geocoded area",
    )
    s.add_argument("--polarisations", nargs="+", default=["VV", "VH"])
    s.add_argument("--oversample", type=int, default=2)
    s.add_argument("--negative", choices=["clip", "nan", "keep"], default="clip")
    s.add_argument("--keep-noise", action="store_true", help="do not subtract thermal noise")
    s.add_argument(
        "--keep-border-noise",
        action="store_true",
        help="do not mask GRD border noise (masked by default in products of IPF < 2.90)",
    )
    s.add_argument("--orbit-file", type=Path, help="ESA POEORB/RESORB .EOF file instead of the annotation orbit")
    s.add_argument("--speckle-filter", choices=["none", "lee"], default="none")
    s.add_argument("--radiometry", choices=["sigma0", "gamma0_flat"], default="sigma0", help="gamma0_flat: γ0_T")
    s.add_argument("--speckle-window", type=int, default=5, help="Lee filter window, pixels (odd)")
    s.add_argument("--threads", type=int, default=1, help="threads for geocoding (the result does not depend on it)")
    s.set_defaults(run=_sigma0)
    d = sub.add_parser("demo", help="write the offline demo archive")
    d.add_argument("--config", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, zipfile.BadZipFile, RasterioError) as err:
        # an expected problem with the input: one line a person can act on, no traceback
        print(f"sar2ndvi {args.command}: error: {in_command_terms(str(err))}", file=sys.stderr)
        return 2


# The library's messages name the workflow's configuration keys; the command has flags instead.
_CONFIG_TO_FLAGS = (
    ("set sentinel1.polarisations to what the products hold", "give --polarisations with what the product holds"),
    ("sentinel1.polarisations", "--polarisations"),
    ("(sentinel1.border_noise: never)", "(--keep-border-noise)"),
    ("sentinel1.border_noise: never", "--keep-border-noise"),
    ("turn noise removal off", "use --keep-noise"),
    ("sentinel1.noise_removal: false", "--keep-noise"),
)


def in_command_terms(message: str) -> str:
    """``message`` on one line, with the remedies that name configuration keys given as flags."""
    for key, flag in _CONFIG_TO_FLAGS:
        message = message.replace(key, flag)
    return " ".join(message.split())


if __name__ == "__main__":
    sys.exit(main())
