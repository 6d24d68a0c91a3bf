"""Reading Sentinel-1 IW GRD products (SAFE), zipped as ASF delivers them or unzipped.

Only the XML annotation is parsed here (product, image, orbit, geolocation grid, slant-to-ground
range conversion, calibration and noise LUTs); the measurement TIFF is read window by window by
:mod:`sar2ndvi.sentinel1.calibration`. Times are numpy ``datetime64[ns]`` UTC.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from lxml import etree

from sar2ndvi.sentinel1.geometry import Orbit

POLARISATIONS = ("VV", "VH", "HH", "HV")


def _t(text: str) -> np.datetime64:
    return np.datetime64(text.strip().rstrip("Z"), "ns")


def _floats(text: str) -> np.ndarray:
    return np.array(text.split(), dtype=np.float64)


@dataclass(frozen=True)
class ImageInfo:
    """Radar image geometry of a GRD product (one polarisation)."""

    first_line_time: np.datetime64
    last_line_time: np.datetime64
    azimuth_time_interval: float  # s per line
    range_pixel_spacing: float  # m, ground range
    azimuth_pixel_spacing: float  # m
    slant_range_time: float  # s, two-way, of the first pixel
    lines: int
    samples: int
    pass_direction: str
    mission: str
    absolute_orbit: int


@dataclass(frozen=True)
class GeolocationGrid:
    """Tie points of the annotation's geolocation grid (arrays of equal length)."""

    line: np.ndarray
    pixel: np.ndarray
    azimuth_time: np.ndarray  # datetime64[ns]
    latitude: np.ndarray  # degrees
    longitude: np.ndarray  # degrees
    height: np.ndarray  # m above the WGS 84 ellipsoid
    incidence_angle: np.ndarray  # degrees


@dataclass(frozen=True)
class RangeConversion:
    """Slant-to-ground range polynomials (one record per azimuth time).

    ``srgr`` maps slant range − ``sr0`` (m) to ground range (m); ``grsr`` maps ground range − ``gr0``
    to slant range.
    """

    azimuth_time: np.ndarray  # datetime64[ns], (n,)
    sr0: np.ndarray  # m, (n,)
    srgr: np.ndarray  # (n, k)
    gr0: np.ndarray  # m, (n,)
    grsr: np.ndarray  # (n, k)


@dataclass(frozen=True)
class Lut:
    """A LUT given as vectors at sparse ``lines``, each with values at sparse ``pixels``."""

    lines: np.ndarray  # (n,)
    pixels: list[np.ndarray]  # n arrays
    values: list[np.ndarray]  # n arrays


@dataclass(frozen=True)
class AzimuthNoiseBlock:
    """One block of the azimuth noise LUT (IPF ≥ 2.9): valid on a line × sample rectangle."""

    first_line: int
    last_line: int
    first_sample: int
    last_sample: int
    lines: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class NoiseLuts:
    range: Lut
    azimuth: list[AzimuthNoiseBlock]
    legacy: bool  # True for the pre-IPF-2.9 format (range vectors hold the whole noise)


class LegacyNoiseError(ValueError):
    """The product's noise annotation predates IPF 2.9."""


class SafeProduct:
    """A Sentinel-1 IW GRD product: a ``.zip`` or a ``.SAFE`` folder.

    Raises:
        FileNotFoundError: if the product does not exist.
        ValueError: naming the product if it is not an IW GRD SAFE.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: Sentinel-1 product not found")
        if self.path.is_file():
            try:
                with zipfile.ZipFile(self.path) as archive:
                    self._names = archive.namelist()
            except zipfile.BadZipFile as err:
                raise ValueError(f"{self.path}: not a zip file ({err}); download the product again") from err
        else:
            self._names = [str(p.relative_to(self.path.parent)) for p in self.path.rglob("*") if p.is_file()]
        if not any(n.endswith("manifest.safe") for n in self._names):
            raise ValueError(f"{self.path}: no manifest.safe inside; not a Sentinel-1 SAFE product")

    def _find(self, pattern: str, what: str) -> str:
        regex = re.compile(pattern)
        hits = sorted(n for n in self._names if regex.search(n))
        if not hits:
            raise ValueError(f"{self.path}: no {what} in the product (looked for {pattern})")
        return hits[0]

    def read_bytes(self, name: str) -> bytes:
        if self.path.is_file():
            with zipfile.ZipFile(self.path) as archive:
                return archive.read(name)
        return (self.path.parent / name).read_bytes()

    def _xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.read_bytes(name))

    @cached_property
    def manifest(self) -> etree._Element:
        return self._xml(self._find(r"manifest\.safe$", "manifest.safe"))

    @cached_property
    def ipf_version(self) -> float | None:
        """Version of ESA's Instrument Processing Facility that made the product."""
        for el in self.manifest.iter():
            if el.tag.endswith("software") and el.get("name") == "Sentinel-1 IPF":
                return float(el.get("version"))
        return None

    @cached_property
    def polarisations(self) -> list[str]:
        """Polarisations with annotation and measurement in the product."""
        found = []
        for pol in POLARISATIONS:
            low = pol.lower()
            has_annotation = any(re.search(rf"annotation/s1\w-iw-grd-{low}-[^/]*\.xml$", n) for n in self._names)
            if has_annotation:
                found.append(pol)
        return found

    def _pol_file(self, kind: str, pol: str) -> str:
        low = pol.lower()
        patterns = {
            "annotation": rf"annotation/s1\w-iw-grd-{low}-[^/]*\.xml$",
            "calibration": rf"annotation/calibration/calibration-s1\w-iw-grd-{low}-[^/]*\.xml$",
            "noise": rf"annotation/calibration/noise-s1\w-iw-grd-{low}-[^/]*\.xml$",
            "measurement": rf"measurement/s1\w-iw-grd-{low}-[^/]*\.tiff?$",
        }
        if pol.upper() not in self.polarisations:
            raise ValueError(
                f"{self.path}: no {pol} polarisation (it has {', '.join(self.polarisations) or 'none'}); "
                "set sentinel1.polarisations to what the products hold"
            )
        return self._find(patterns[kind], f"{pol} {kind} file")

    def measurement_path(self, pol: str) -> str:
        """A GDAL path of the measurement TIFF (``/vsizip/`` inside a zip)."""
        name = self._pol_file("measurement", pol)
        if self.path.is_file():
            return f"/vsizip/{self.path.resolve()}/{name}"
        return str(self.path.parent / name)

    def annotation(self, pol: str) -> etree._Element:
        return self._xml(self._pol_file("annotation", pol))

    def image_info(self, pol: str) -> ImageInfo:
        root = self.annotation(pol)
        info = root.find("imageAnnotation/imageInformation")
        header = root.find("adsHeader")
        if header.findtext("mode") != "IW" or header.findtext("productType") != "GRD":
            kind = f"{header.findtext('mode')} {header.findtext('productType')}"
            raise ValueError(f"{self.path}: not an IW GRD product ({kind})")
        return ImageInfo(
            first_line_time=_t(info.findtext("productFirstLineUtcTime")),
            last_line_time=_t(info.findtext("productLastLineUtcTime")),
            azimuth_time_interval=float(info.findtext("azimuthTimeInterval")),
            range_pixel_spacing=float(info.findtext("rangePixelSpacing")),
            azimuth_pixel_spacing=float(info.findtext("azimuthPixelSpacing")),
            slant_range_time=float(info.findtext("slantRangeTime")),
            lines=int(info.findtext("numberOfLines")),
            samples=int(info.findtext("numberOfSamples")),
            pass_direction=root.findtext("generalAnnotation/productInformation/pass").upper(),
            mission=header.findtext("missionId"),
            absolute_orbit=int(header.findtext("absoluteOrbitNumber")),
        )

    def orbit(self, pol: str) -> Orbit:
        """Orbit state vectors (Earth-fixed) of the annotation."""
        vectors = self.annotation(pol).findall("generalAnnotation/orbitList/orbit")
        times = np.array([_t(v.findtext("time")) for v in vectors])
        epoch = times[0]
        pos = np.array([[float(v.findtext(f"position/{a}")) for a in "xyz"] for v in vectors])
        vel = np.array([[float(v.findtext(f"velocity/{a}")) for a in "xyz"] for v in vectors])
        seconds = (times - epoch) / np.timedelta64(1, "s")
        order = np.argsort(seconds)
        keep = np.concatenate([[True], np.diff(seconds[order]) > 0])
        return Orbit(epoch, seconds[order][keep], pos[order][keep], vel[order][keep])

    def geolocation_grid(self, pol: str) -> GeolocationGrid:
        points = self.annotation(pol).findall("geolocationGrid/geolocationGridPointList/geolocationGridPoint")

        def col(tag: str, kind=float) -> np.ndarray:
            return np.array([kind(p.findtext(tag)) for p in points])

        return GeolocationGrid(
            line=col("line"),
            pixel=col("pixel"),
            azimuth_time=np.array([_t(p.findtext("azimuthTime")) for p in points]),
            latitude=col("latitude"),
            longitude=col("longitude"),
            height=col("height"),
            incidence_angle=col("incidenceAngle"),
        )

    def range_conversion(self, pol: str) -> RangeConversion:
        records = self.annotation(pol).findall("coordinateConversion/coordinateConversionList/coordinateConversion")
        if not records:
            raise ValueError(f"{self.path}: {pol} annotation has no coordinateConversion list, needed for geocoding")
        return RangeConversion(
            azimuth_time=np.array([_t(r.findtext("azimuthTime")) for r in records]),
            sr0=np.array([float(r.findtext("sr0")) for r in records]),
            srgr=np.array([_floats(r.findtext("srgrCoefficients")) for r in records]),
            gr0=np.array([float(r.findtext("gr0")) for r in records]),
            grsr=np.array([_floats(r.findtext("grsrCoefficients")) for r in records]),
        )

    def calibration_lut(self, pol: str, kind: str = "sigmaNought") -> Lut:
        """The calibration LUT ``kind`` (sigmaNought, betaNought, gamma or dn)."""
        root = self._xml(self._pol_file("calibration", pol))
        vectors = root.findall("calibrationVectorList/calibrationVector")
        return Lut(
            lines=np.array([int(v.findtext("line")) for v in vectors]),
            pixels=[_floats(v.findtext("pixel")) for v in vectors],
            values=[_floats(v.findtext(kind)) for v in vectors],
        )

    def noise_luts(self, pol: str) -> NoiseLuts:
        """Thermal-noise LUTs: range vectors and azimuth blocks (IPF ≥ 2.9), or the legacy vectors."""
        name = self._pol_file("noise", pol)
        root = self._xml(name)
        ranges = root.findall("noiseRangeVectorList/noiseRangeVector")
        if ranges:
            blocks = [
                AzimuthNoiseBlock(
                    first_line=int(b.findtext("firstAzimuthLine")),
                    last_line=int(b.findtext("lastAzimuthLine")),
                    first_sample=int(b.findtext("firstRangeSample")),
                    last_sample=int(b.findtext("lastRangeSample")),
                    lines=_floats(b.findtext("line")),
                    values=_floats(b.findtext("noiseAzimuthLut")),
                )
                for b in root.findall("noiseAzimuthVectorList/noiseAzimuthVector")
            ]
            lut = Lut(
                lines=np.array([int(v.findtext("line")) for v in ranges]),
                pixels=[_floats(v.findtext("pixel")) for v in ranges],
                values=[_floats(v.findtext("noiseRangeLut")) for v in ranges],
            )
            return NoiseLuts(lut, blocks, legacy=False)
        legacy = root.findall("noiseVectorList/noiseVector")
        if not legacy:
            raise ValueError(f"{self.path}: {name} holds no noise vectors")
        lut = Lut(
            lines=np.array([int(v.findtext("line")) for v in legacy]),
            pixels=[_floats(v.findtext("pixel")) for v in legacy],
            values=[_floats(v.findtext("noiseLut")) for v in legacy],
        )
        return NoiseLuts(lut, [], legacy=True)


def relative_orbit(mission: str, absolute_orbit: int) -> int:
    """Relative orbit (track) of Sentinel-1A/B from the absolute orbit number."""
    offsets = {"S1A": 73, "S1B": 27, "S1C": 172}
    return (absolute_orbit - offsets[mission]) % 175 + 1
