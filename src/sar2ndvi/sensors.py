"""The optical sensors whose NDVI the workflow reads, as one table.

A sensor's name is its key everywhere in the config: ``sources.<name>`` picks where its scenes come
from, ``local.<name>`` names a folder of them, ``<name>:`` holds its settings, and ``sensors``
picks the two the method uses (the reference that the model learns and is scored against, and the
sensor that pre-trains it, mapped onto the reference's scale by a linear regression). Results go
to ``results/<name>/``. Adding a sensor is an entry here, its NDVI reader (:mod:`sar2ndvi.ndvi`),
a folder lister (:mod:`sar2ndvi.sources.optical_folders`) and, when Earth Engine serves it, an
:class:`~sar2ndvi.sources.earthengine.EarthEngineProduct` under the same name; its config keys go
in the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sar2ndvi.grid import AreaGrid
from sar2ndvi.ndvi import landsat_ndvi, planet_ndvi, sentinel2_ndvi
from sar2ndvi.sources.optical_folders import list_landsat, list_planet, list_sentinel2

#: (scene file, its mask file or None, grid, the sensor's NDVI settings) → NDVI on the grid, NaN where not clear
NdviReader = Callable[[Path, Path | None, AreaGrid, Mapping[str, Any]], np.ndarray]
#: (folder, first day, last day, both inclusive) → the scene table (sources.optical_folders.OPTICAL_COLUMNS)
FolderLister = Callable[[str | Path, str, str], pd.DataFrame]


@dataclass(frozen=True)
class OpticalSensor:
    """An optical sensor: where its scenes come from and how one becomes NDVI.

    Attributes:
        name: the config key (``sources.<name>``, ``local.<name>``, ``<name>:``) and results folder.
        title: how figures and messages name it.
        sources: the values ``sources.<name>`` accepts: ``demo`` (the offline world), ``local``
            (a folder, read by ``list_folder``) and ``earthengine`` (a product of
            :data:`sar2ndvi.sources.earthengine.PRODUCTS` under ``name``).
        list_folder: lists the scenes of a folder.
        read_ndvi: one scene's NDVI on the grid.
        ndvi_settings: the keys of the ``<name>:`` config section that the NDVI depends on.
    """

    name: str
    title: str
    sources: tuple[str, ...]
    list_folder: FolderLister
    read_ndvi: NdviReader
    ndvi_settings: tuple[str, ...] = ()


SENSORS: dict[str, OpticalSensor] = {
    sensor.name: sensor
    for sensor in (
        OpticalSensor(
            name="sentinel2",
            title="Sentinel-2",
            sources=("demo", "local", "earthengine"),
            list_folder=list_sentinel2,
            read_ndvi=lambda scene, mask, grid, settings: sentinel2_ndvi(
                scene, grid, settings["cloud_probability_max"]
            ),
            ndvi_settings=("cloud_probability_max",),
        ),
        OpticalSensor(
            name="planet",
            title="PlanetScope",
            sources=("demo", "local"),
            list_folder=list_planet,
            read_ndvi=lambda scene, mask, grid, settings: planet_ndvi(scene, grid, mask),
        ),
        OpticalSensor(
            name="landsat",
            title="Landsat 8/9",
            sources=("local", "earthengine"),
            list_folder=list_landsat,
            read_ndvi=lambda scene, mask, grid, settings: landsat_ndvi(scene, grid),
        ),
    )
}


def sensor(name: str) -> OpticalSensor:
    """The sensor called ``name``.

    Raises:
        KeyError: naming the known sensors.
    """
    try:
        return SENSORS[name]
    except KeyError:
        raise KeyError(f"no optical sensor {name!r}; the sensors are {', '.join(SENSORS)}") from None
