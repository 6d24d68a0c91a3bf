"""The ``sar2ndvi`` command: steps of the workflow usable on their own.

- ``sar2ndvi sigma0 PRODUCT --bbox W S E N --dem DEM.tif --out OUT.tif``: calibrated, noise-removed,
  terrain-corrected σ0 (VV, VH; linear power) of a GRD product on a snapped grid, made by the
  workflow's σ0 step itself (:func:`sar2ndvi.steps.sentinel1.write_sigma0`), with the workflow's
  defaults; ``--grid`` and ``--heights`` take a workflow's own grid and heights, and then give the
  very bytes of its ``results/s1/sigma0/<scene>.tif``. ``--window ROW COL ROWS COLS`` instead writes
  calibrated σ0 of a radar-geometry window without geocoding (for checks).
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

    from sar2ndvi.grid import AreaGrid, grid_from_lonlat_box
    from sar2ndvi.io import read_raster, warp_bands
    from sar2ndvi.settings import sigma0_settings
    from sar2ndvi.steps.sentinel1 import write_sigma0

    settings = _sigma0_settings(args)
    if args.window:
        return _radar_window(args, settings)
    if args.grid:
        grid = AreaGrid.read(args.grid)
    elif args.bbox:
        grid = grid_from_lonlat_box("area", *args.bbox, crs=args.crs, resolution=args.resolution)
    else:
        raise SystemExit("give --bbox W S E N (degrees) or --grid GRID.json for geocoded output, or --window")
    if args.heights:
        heights = read_raster(args.heights, grid)[0]
    elif args.dem:
        heights = warp_bands(args.dem, [1], grid, Resampling.bilinear)[0] + args.geoid_undulation
    else:
        heights = np.zeros(grid.shape)
    write_sigma0(
        args.product,
        grid,
        heights,
        args.out,
        sigma0_settings(settings),
        orbit_file=args.orbit_file,
        threads=args.threads,
        terrain_correction=bool(args.dem or args.heights),
        require_coverage=True,
        area_label=f"--bbox {' '.join(str(v) for v in args.bbox)}" if args.bbox else f"--grid {args.grid}",
    )
    return 0


def _sigma0_settings(args: argparse.Namespace) -> dict:
    """The ``sentinel1`` settings of the command: the schema's defaults, changed by the flags."""
    from sar2ndvi.settings import defaults

    settings = defaults("sentinel1")
    flags = {
        "polarisations": args.polarisations,
        "oversample": args.oversample,
        "negative": args.negative,
        "speckle_filter": args.speckle_filter,
        "speckle_window": args.speckle_window,
        "radiometry": args.radiometry,
    }
    settings.update({key: value for key, value in flags.items() if value is not None})
    if args.keep_noise:
        settings["noise_removal"] = False
    if args.keep_border_noise:
        settings["border_noise"] = "never"
    return settings


def _radar_window(args: argparse.Namespace, settings: dict) -> int:
    """Calibrated σ0 of a radar-geometry window, without geocoding (for checks)."""
    from sar2ndvi.io import atomic_path
    from sar2ndvi.sentinel1.calibration import sigma0_window

    pols = tuple(settings["polarisations"])
    bands = np.stack(
        [
            sigma0_window(args.product, pol, tuple(args.window), settings["noise_removal"], settings["negative"])
            for pol in pols
        ]
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


def _demo(args: argparse.Namespace) -> int:
    from sar2ndvi.demo.__main__ import main as demo_main

    return demo_main(["--config", str(args.config), "--out", str(args.out)])


def main(argv: list[str] | None = None) -> int:
    from sar2ndvi.settings import choices, defaults

    parser = argparse.ArgumentParser(prog="sar2ndvi", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sigma0", help="σ0 of a Sentinel-1 IW GRD product (the workflow's σ0 step)")
    s.add_argument("product", type=Path, help="GRD .zip or .SAFE folder")
    s.add_argument("--out", type=Path, required=True)
    where = s.add_mutually_exclusive_group()
    where.add_argument("--bbox", type=float, nargs=4, metavar=("W", "S", "E", "N"), help="area, degrees")
    where.add_argument("--grid", type=Path, help="an area grid JSON of the workflow (results/grid/<area>.json)")
    where.add_argument(
        "--window",
        type=int,
        nargs=4,
        metavar=("ROW", "COL", "ROWS", "COLS"),
        help="radar-geometry window instead of a geocoded area",
    )
    s.add_argument("--crs", default=defaults("study")["crs"], help="of the --bbox grid")
    s.add_argument(
        "--resolution", type=float, default=defaults("study")["resolution"], help="of the --bbox grid, metres"
    )
    terrain = s.add_mutually_exclusive_group()
    terrain.add_argument("--dem", type=Path, help="DEM GeoTIFF of orthometric heights (none: no terrain correction)")
    terrain.add_argument(
        "--heights", type=Path, help="heights above the ellipsoid on --grid (the workflow's results/dem/heights.tif)"
    )
    s.add_argument(
        "--geoid-undulation",
        type=float,
        default=defaults("sentinel1")["geoid_undulation_m"],
        help="geoid above ellipsoid, metres (with --dem)",
    )
    # None: the configuration schema's default (sar2ndvi.settings), the workflow's own
    s.add_argument("--polarisations", nargs="+")
    s.add_argument("--oversample", type=int)
    s.add_argument("--negative", choices=choices("sentinel1", "negative"))
    s.add_argument("--keep-noise", action="store_true", help="do not subtract thermal noise")
    s.add_argument(
        "--keep-border-noise",
        action="store_true",
        help="do not mask GRD border noise (masked by default in products of IPF < 2.90)",
    )
    s.add_argument("--orbit-file", type=Path, help="ESA POEORB/RESORB .EOF file instead of the annotation orbit")
    s.add_argument("--speckle-filter", choices=choices("sentinel1", "speckle_filter"))
    s.add_argument("--radiometry", choices=choices("sentinel1", "radiometry"), help="gamma0_flat: γ0_T")
    s.add_argument("--speckle-window", type=int, help="Lee filter window, pixels (odd)")
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
