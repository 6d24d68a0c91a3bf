"""Sentinel-1 steps: search the archive, fetch a product and its orbit, σ0 on the grid, SAR indexes.

Each function takes paths and settings and writes its output files; the workflow's scripts and the
``sar2ndvi`` command call these, and nothing else, so both make the same files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster, write_raster, write_text_if_changed

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # west, south, east, north; degrees (WGS 84)


def search(
    source: str,
    folder: str | Path,
    start: str,
    end: str,
    flight_direction: str,
    study_box: Sequence[float],
    out: str | Path,
    skipped_out: str | Path | None = None,
) -> None:
    """The table of IW GRD scenes over ``study_box`` in [start, end] (sorted; rewritten only on change).

    ``source`` "asf" asks ASF's catalogue, "demo" the demo archive's catalogue in ``folder``, "local"
    the products in ``folder``. Every track of the direction is listed; the tracks to use are chosen
    when the table is read. The products found and left out (unreadable, or off the study area) are
    listed in ``skipped_out`` (CSV: scene, reason), for the run's summary.

    Raises:
        ValueError: when no scene matches.
    """
    import pandas as pd

    from sar2ndvi.sources.sentinel1 import search_catalog, search_folder

    box = tuple(study_box)
    skipped = []
    if source == "asf":
        from sar2ndvi.sources.asf import search_asf

        table = search_asf(box, start, end, flight_direction)
        where = "ASF"
    else:
        folder = Path(folder)
        if source == "demo":
            table = search_catalog(folder / "catalog.json", start, end, flight_direction, box, skipped=skipped)
        else:
            table = search_folder(folder, start, end, flight_direction, box, skipped=skipped)
        where = str(folder)
    if skipped_out is not None:
        listing = pd.DataFrame([vars(s) for s in skipped], columns=["scene", "reason"])
        write_text_if_changed(skipped_out, listing.to_csv(index=False))
    if table.empty:
        raise ValueError(
            f"no {flight_direction} Sentinel-1 IW GRD scene over {box} between {start} and {end} in {where}"
            "; check the areas, the dates and sentinel1.flight_direction"
        )
    write_text_if_changed(out, table.to_csv(index=False))
    log.info(
        "%d scenes, %s to %s, relative orbits %s",
        len(table),
        table["start"].min(),
        table["start"].max(),
        sorted(set(table["relative_orbit"])),
    )


def download(
    record: Mapping[str, Any] | None,
    scene: str,
    source: str,
    polarisations: Sequence[str],
    out: str | Path,
    retries: Mapping[str, Any],
    scenes_table: str | Path = "",
    relative_orbits: Sequence[int] = (),
) -> None:
    """One product, verified (size, MD5, zip member CRCs), resumed and retried, unpacked into ``out``.

    ``out`` is a ``.SAFE`` folder of what σ0 reads (the ``polarisations`` only). ``record`` is the
    scene's row of the search table (None when the last search does not list the scene);
    ``retries`` holds ``attempts``, ``backoff_s`` and ``timeout_s``.

    Raises:
        ValueError: for a scene the last search did not list.
    """
    if record is None:
        raise ValueError(
            f"{scene} is not in the last Sentinel-1 search ({scenes_table}) on relative orbits "
            f"{list(relative_orbits) or 'all'}; search again (see the README, 'New scenes') or ask for a listed scene"
        )
    if source == "asf":
        from sar2ndvi.sources.asf import download_product, earthdata_session
        from sar2ndvi.sources.credentials import earthdata_credentials

        download_product(
            record,
            out,
            earthdata_session(earthdata_credentials()),
            polarisations,
            attempts=retries["attempts"],
            backoff_s=retries["backoff_s"],
            timeout_s=retries["timeout_s"],
        )
    else:
        from sar2ndvi.sources.sentinel1 import fetch_scene

        fetch_scene(record, out, polarisations)
    log.info("%s fetched, verified and unpacked (%s)", scene, ", ".join(polarisations))


def orbit(scene: str, source: str, out: str | Path, retries: Mapping[str, Any], folder: str | Path = "") -> None:
    """The orbit file (.EOF) of ``scene``: fetched from ASF (``source`` "asf") or copied from ``folder`` ("local").

    Raises:
        ValueError: for a source that has no orbit file to make.
    """
    from sar2ndvi.sources.orbits import copy_local_orbit, fetch_orbit

    if source == "asf":
        kept = fetch_orbit(
            scene,
            out,
            attempts=retries["attempts"],
            backoff_s=retries["backoff_s"],
            timeout_s=retries["timeout_s"],
        )
    elif source == "local":
        kept = copy_local_orbit(scene, folder, out)
    else:
        raise ValueError(f"sources.orbits: {source} has no orbit file to make for {scene}")
    log.info("%s: orbit %s (%s) kept as %s", scene, kept.name, kept.kind, out)


def sigma0(
    product: str | Path,
    grid: str | Path,
    heights: str | Path,
    out: str | Path,
    settings: Mapping[str, Any],
    orbit_file: str | Path | None = None,
    threads: int = 1,
) -> None:
    """σ0 (or γ0) of a product on the grid of ``grid`` (JSON), with ``heights`` (GeoTIFF on it, m above the ellipsoid).

    See :func:`write_sigma0` for ``settings``.
    """
    area = AreaGrid.read(grid)
    write_sigma0(product, area, read_raster(heights, area)[0], out, settings, orbit_file, threads)


def write_sigma0(
    product: str | Path,
    grid: AreaGrid,
    heights: np.ndarray,
    out: str | Path,
    settings: Mapping[str, Any],
    orbit_file: str | Path | None = None,
    threads: int = 1,
    terrain_correction: bool = True,
    require_coverage: bool = False,
    area_label: str | None = None,
) -> float:
    """Write calibrated, noise-removed, terrain-corrected σ0 of ``product`` on ``grid`` to ``out``.

    Bands: one per polarisation, ``sigma0_<POL> (linear)`` (``gamma0_<POL>`` with radiometry
    ``gamma0_flat``), then the terrain layers; tags: the scene (the product's name) and the
    geocoding's metadata.

    Args:
        heights: m above the WGS 84 ellipsoid on ``grid``.
        settings: the ``sentinel1`` settings of the config that σ0 depends on: ``polarisations``,
            ``oversample``, ``noise_removal``, ``negative``, ``speckle_filter``, ``radiometry``,
            ``border_noise`` and, where they apply, ``negative_floor``, ``speckle_window``,
            ``min_illuminated_area``, ``layers``, ``border_noise_limit``, ``border_noise_threshold``.
        orbit_file: a POEORB/RESORB file to use instead of the annotation's orbit.
        terrain_correction: False geocodes onto the ellipsoid at height 0.
        require_coverage: raise, and write nothing, when the product gives no value on the grid
            (the workflow keeps such a scene, all no data, as one acquisition among many).
        area_label: how the error names the area (default: the grid's name).

    Returns:
        The fraction of grid cells with a value in every band.

    Raises:
        ValueError: with ``require_coverage``, for a product that does not cover the grid.
    """
    from sar2ndvi.sentinel1.geocode import geocode_backscatter
    from sar2ndvi.sentinel1.layout import product_name
    from sar2ndvi.sentinel1.orbit_file import read_orbit_file
    from sar2ndvi.sentinel1.safe import SafeProduct
    from sar2ndvi.sentinel1.terrain_geometry import LAYER_DESCRIPTIONS

    safe = SafeProduct(product)
    orbit = None
    if orbit_file:
        info = safe.info
        orbit = read_orbit_file(orbit_file, info.start_time, info.stop_time)
        log.info("orbit from %s", orbit_file)
    options = {
        key: settings[key] for key in ("negative_floor", "speckle_window", "min_illuminated_area") if key in settings
    }
    if settings["border_noise"] != "never":
        options.update(border_limit=settings["border_noise_limit"], border_threshold=settings["border_noise_threshold"])
    polarisations = tuple(settings["polarisations"])
    result = geocode_backscatter(
        safe,
        grid,
        heights if terrain_correction else np.zeros(grid.shape),
        polarisations=polarisations,
        oversample=settings["oversample"],
        noise_removal=settings["noise_removal"],
        negative=settings["negative"],
        terrain_correction=terrain_correction,
        orbit=orbit,
        speckle_filter=settings["speckle_filter"],
        radiometry=settings["radiometry"],
        border_noise=settings["border_noise"],
        layers=tuple(settings.get("layers", ())),
        threads=threads,
        **options,
    )
    if require_coverage and (result.metadata["radar_window"] is None or result.valid_fraction == 0):
        raise ValueError(
            f"{product}: the product does not cover {area_label or f'the area {grid.name!r}'}; give a box inside "
            "its footprint (see its manifest.safe) or another product"
        )
    if result.metadata["radar_window"] is None:
        # the search listed the scene because its footprint (manifest) covers the study area
        raise ValueError(
            f"{product}: the geolocation grid of its annotation does not reach the study grid {grid.name!r}, although "
            "its footprint does: the product is inconsistent; download it again, or remove it from the archive"
        )
    if result.valid_fraction == 0:
        log.warning(
            "%s: no valid σ0 on %s (all masked: border noise, layover or shadow); prediction leaves the scene out",
            product_name(product),
            grid.name,
        )
    # the terrain layers follow the polarisations, so band n of every σ0 raster is the same polarisation
    write_raster(
        out,
        np.concatenate([result.backscatter, *(layer[np.newaxis] for layer in result.layers.values())]),
        grid,
        [f"{result.quantity}_{pol} (linear)" for pol in polarisations] + [LAYER_DESCRIPTIONS[n] for n in result.layers],
        {"scene": product_name(product), **result.metadata},
    )
    log.info("%s: σ0 on %s, %.1f %% valid", product_name(product), grid.name, 100 * result.valid_fraction)
    return result.valid_fraction


def indexes(sigma0_path: str | Path, grid: str | Path, out: str | Path, scene: str) -> None:
    """The ten SAR index channels of Kimura et al. (2023) from σ0 VV and VH (bands 1 and 2 of ``sigma0_path``)."""
    from sar2ndvi.indexes import CHANNEL_NAMES, sar_index_channels

    area = AreaGrid.read(grid)
    vv, vh = read_raster(sigma0_path, area)[:2]
    write_raster(out, sar_index_channels(vv, vh), area, list(CHANNEL_NAMES), {"scene": scene})
    log.info("%s: %d channels", scene, len(CHANNEL_NAMES))
