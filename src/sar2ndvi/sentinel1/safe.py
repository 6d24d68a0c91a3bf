"""Reading Sentinel-1 IW GRD products (SAFE), zipped as ASF delivers them or unzipped.

Only the XML is parsed here: ``manifest.safe`` (product information, IPF version, footprint) and,
per polarisation, the annotation (image geometry, orbit, geolocation grid, slant-to-ground range
conversion), the calibration LUTs and the thermal-noise LUTs. The measurement TIFF is only located;
:mod:`sar2ndvi.sentinel1.calibration` reads it window by window.

Conventions: times are numpy ``datetime64[ns]`` UTC; latitudes and longitudes are degrees on WGS 84
(EPSG:4326); heights are metres above the WGS 84 ellipsoid; orbit positions are ECEF metres
(EPSG:4978); ``line`` and ``pixel`` are zero-based image row and column indices of sample centres.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from lxml import etree

from sar2ndvi.sentinel1.geometry import Orbit

POLARISATIONS = ("VV", "VH", "HH", "HV")
CalibrationKind = Literal["sigmaNought", "betaNought", "gamma", "dn"]
CALIBRATION_KINDS: tuple[str, ...] = ("sigmaNought", "betaNought", "gamma", "dn")
# Absolute orbit numbers of the first pass of relative orbit 1, per platform.
_ORBIT_OFFSETS = {"S1A": 73, "S1B": 27, "S1C": 172}


# The files of one polarisation, relative to the SAFE folder ({pol}: lower case). ESA's products name
# them s1a-iw-grd-vv-<start>-<stop>-<orbit>-<take>-001.tiff/.xml; the Cloud-Optimized GeoTIFF
# products of the Copernicus Data Space Ecosystem (<name>_COG.SAFE, zipped as <name>_COG.zip) add
# "-cog" before the extension: measurement/…-001-cog.tiff (ZSTD-compressed, tiled), annotation/…-001-cog.xml.
_POL_FILES = {
    "annotation": r"annotation/s1\w-iw-grd-{pol}-[^/]*?(?:-cog)?\.xml$",
    "calibration": r"annotation/calibration/calibration-s1\w-iw-grd-{pol}-[^/]*?(?:-cog)?\.xml$",
    "noise": r"annotation/calibration/noise-s1\w-iw-grd-{pol}-[^/]*?(?:-cog)?\.xml$",
    "measurement": r"measurement/s1\w-iw-grd-{pol}-[^/]*?(?:-cog)?\.tiff?$",
}
PolFileKind = Literal["annotation", "calibration", "noise", "measurement"]


def pol_file_pattern(kind: PolFileKind, pol: str) -> str:
    """Regular expression of the ``kind`` file of polarisation ``pol`` (annotation, calibration, noise
    or measurement), matched against its path from the SAFE folder, e.g. ``measurement/s1a-iw-grd-vv-….tiff``
    or the COG product's ``measurement/s1a-iw-grd-vv-…-cog.tiff``."""
    return _POL_FILES[kind].format(pol=pol.lower())


def _time(text: str | None) -> np.datetime64:
    return np.datetime64(str(text).strip().rstrip("Z"), "ns")


def _floats(text: str | None) -> np.ndarray:
    # numpy's text parser is several times faster than split() on the long LUT vectors; it only
    # warns on a malformed number, which must stay an error
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(str(text or ""), dtype=np.float64, sep=" ")
        except DeprecationWarning as malformed:
            raise ValueError(f"not a list of numbers: {str(text)[:80]!r}") from malformed


def relative_orbit(mission: str, absolute_orbit: int) -> int:
    """Relative orbit (track, 1–175) of platform "S1A", "S1B" or "S1C" from its absolute orbit."""
    if mission not in _ORBIT_OFFSETS:
        raise ValueError(f"unknown Sentinel-1 platform {mission!r}; expected one of {', '.join(_ORBIT_OFFSETS)}")
    return (int(absolute_orbit) - _ORBIT_OFFSETS[mission]) % 175 + 1


@dataclass(frozen=True)
class ProductInfo:
    """Identity of a product, from ``manifest.safe`` (the annotation where the manifest lacks a field).

    Attributes:
        mission: "S1A", "S1B" or "S1C".
        mode: acquisition mode, "IW".
        product_type: "GRD".
        polarisations: polarisations whose annotation is in the product, e.g. ("VV", "VH").
        pass_direction: "ASCENDING" or "DESCENDING".
        start_time, stop_time: sensing period, datetime64[ns] UTC.
        absolute_orbit: absolute orbit number at the start of sensing.
        ipf_version: version of ESA's Instrument Processing Facility (``safe:software``), e.g. 3.4;
            None if absent.
    """

    mission: str
    mode: str
    product_type: str
    polarisations: tuple[str, ...]
    pass_direction: str
    start_time: np.datetime64
    stop_time: np.datetime64
    absolute_orbit: int
    ipf_version: float | None

    @property
    def relative_orbit(self) -> int:
        return relative_orbit(self.mission, self.absolute_orbit)


@dataclass(frozen=True)
class ImageInfo:
    """Radar image geometry of one polarisation (annotation ``imageAnnotation/imageInformation``).

    Attributes:
        first_line_time, last_line_time: zero-Doppler time of the first and last line, datetime64[ns] UTC.
        azimuth_time_interval: seconds between lines.
        range_pixel_spacing: ground-range pixel spacing, m.
        azimuth_pixel_spacing: azimuth pixel spacing, m.
        slant_range_time: two-way slant range time of the first pixel, s.
        lines, samples: image size (numberOfLines, numberOfSamples).
        pass_direction, mission, absolute_orbit: as in :class:`ProductInfo`.
    """

    first_line_time: np.datetime64
    last_line_time: np.datetime64
    azimuth_time_interval: float
    range_pixel_spacing: float
    azimuth_pixel_spacing: float
    slant_range_time: float
    lines: int
    samples: int
    pass_direction: str
    mission: str
    absolute_orbit: int


@dataclass(frozen=True)
class GeolocationGrid:
    """Tie points of the annotation's geolocation grid, flat arrays of equal length (rows of 21 points).

    Attributes:
        line, pixel: image coordinates of the tie point.
        azimuth_time: zero-Doppler time, datetime64[ns] UTC.
        slant_range_time: two-way slant range time, s.
        latitude, longitude: degrees, WGS 84.
        height: m above the WGS 84 ellipsoid.
        incidence_angle, elevation_angle: degrees.
    """

    line: np.ndarray
    pixel: np.ndarray
    azimuth_time: np.ndarray
    slant_range_time: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    height: np.ndarray
    incidence_angle: np.ndarray
    elevation_angle: np.ndarray


@dataclass(frozen=True)
class CoordinateConversion:
    """Slant-to-ground range polynomials, one record per azimuth time (``coordinateConversionList``).

    ``srgr[k]`` are the coefficients (increasing powers) of the polynomial that maps slant range −
    ``sr0[k]`` (m) to ground range (m); ``grsr[k]`` map ground range − ``gr0[k]`` (m) to slant range (m).

    Attributes:
        azimuth_time: datetime64[ns] UTC, shape (n,).
        sr0, gr0: m, shape (n,).
        srgr, grsr: shape (n, k).
    """

    azimuth_time: np.ndarray
    sr0: np.ndarray
    srgr: np.ndarray
    gr0: np.ndarray
    grsr: np.ndarray


@dataclass(frozen=True)
class Lut:
    """A LUT given as vectors at sparse image ``lines``, each with values at its own sparse ``pixels``."""

    lines: np.ndarray
    pixels: list[np.ndarray]
    values: list[np.ndarray]


@dataclass(frozen=True)
class CalibrationVectors:
    """The calibration vectors of one polarisation (``calibrationVectorList``), amplitude LUTs A.

    σ0 = DN² / sigma_nought² (and likewise for β0, γ), all at the vector's (line, pixel) positions.
    """

    line: np.ndarray
    pixel: list[np.ndarray]
    sigma_nought: list[np.ndarray]
    beta_nought: list[np.ndarray]
    gamma: list[np.ndarray]
    dn: list[np.ndarray]

    def lut(self, kind: CalibrationKind = "sigmaNought") -> Lut:
        values = {
            "sigmaNought": self.sigma_nought,
            "betaNought": self.beta_nought,
            "gamma": self.gamma,
            "dn": self.dn,
        }
        if kind not in values:
            raise ValueError(f"unknown calibration LUT {kind!r}; use one of {', '.join(values)}")
        return Lut(self.line, self.pixel, values[kind])


@dataclass(frozen=True)
class AzimuthNoiseBlock:
    """One azimuth noise vector (IPF ≥ 2.9): valid on lines [first_line, last_line] × samples
    [first_sample, last_sample] of its ``swath``; ``values`` (unitless scaling of the range noise)
    are given at ``lines``."""

    swath: str
    first_line: int
    first_sample: int
    last_line: int
    last_sample: int
    lines: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class NoiseLuts:
    """Thermal-noise LUTs of one polarisation, noise power in DN².

    Attributes:
        range: range noise vectors (``noiseRangeLut``), or for the legacy format the ``noiseLut`` vectors.
        azimuth: azimuth noise blocks; empty for the legacy format.
        legacy: True for the pre-IPF-2.9 format, in which the range vectors alone are the noise power.
        source: name of the noise XML inside the product.
    """

    range: Lut
    azimuth: tuple[AzimuthNoiseBlock, ...]
    legacy: bool
    source: str = ""

    @property
    def all_zero(self) -> bool:
        """True when every range noise value is 0: subtracting them removes nothing."""
        return all(not np.any(values) for values in self.range.values)


def _lut(vectors: list[etree._Element], values_tag: str) -> Lut:
    return Lut(
        lines=np.array([int(v.findtext("line")) for v in vectors]),
        pixels=[_floats(v.findtext("pixel")) for v in vectors],
        values=[_floats(v.findtext(values_tag)) for v in vectors],
    )


def _local(root: etree._Element, name: str) -> list[etree._Element]:
    """Elements named ``name`` in any namespace (the manifest mixes several)."""
    return root.xpath(f"//*[local-name()='{name}']")


class SafeProduct:
    """A Sentinel-1 IW GRD product: a ``.zip`` (as ASF delivers it) or an unzipped ``.SAFE`` folder.

    ESA's layout and the COG layout (``<name>_COG.SAFE``, measurement ``…-cog.tiff``, annotation
    ``…-cog.xml``) are both read. XML files are parsed once and cached.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the product, if it is not a zip/SAFE, has no manifest or is not an IW GRD product.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._xml_cache: dict[str, etree._Element] = {}
        self._lut_cache: dict[tuple[str, ...], Lut | NoiseLuts] = {}
        if not self.path.exists():
            raise FileNotFoundError(
                f"{self.path}: Sentinel-1 product not found; check the path or download the product again"
            )
        if self.path.is_file():
            try:
                with zipfile.ZipFile(self.path) as archive:
                    self._names = [n for n in archive.namelist() if not n.endswith("/")]
            except zipfile.BadZipFile as err:
                raise ValueError(
                    f"{self.path}: not a zip file ({err}); the download is probably incomplete, fetch it again"
                ) from err
        else:
            self._names = [p.relative_to(self.path.parent).as_posix() for p in self.path.rglob("*") if p.is_file()]
        if not any(n.endswith("manifest.safe") for n in self._names):
            raise ValueError(
                f"{self.path}: no manifest.safe inside; not a Sentinel-1 SAFE product "
                "(give the .zip or the .SAFE folder)"
            )
        if not self.polarisations:
            raise ValueError(
                f"{self.path}: no IW GRD annotation (annotation/s1?-iw-grd-<pol>-*.xml) inside; "
                "sar2ndvi reads Sentinel-1 IW GRD products only, give an IW GRDH product"
            )

    def __repr__(self) -> str:
        return f"SafeProduct({str(self.path)!r})"

    # -- files -------------------------------------------------------------------------------------

    def _find(self, pattern: str) -> str | None:
        regex = re.compile(pattern)
        hits = sorted(n for n in self._names if regex.search(n))
        return hits[0] if hits else None

    def read_bytes(self, name: str) -> bytes:
        """Bytes of a file of the product, ``name`` as listed inside the zip (``<product>.SAFE/...``)."""
        if self.path.is_file():
            with zipfile.ZipFile(self.path) as archive:
                return archive.read(name)
        return (self.path.parent / name).read_bytes()

    def _xml(self, name: str) -> etree._Element:
        if name not in self._xml_cache:
            try:
                self._xml_cache[name] = etree.fromstring(self.read_bytes(name))
            except etree.XMLSyntaxError as err:
                raise ValueError(f"{self.path}: {name} is not valid XML ({err}); the product is damaged") from err
        return self._xml_cache[name]

    @cached_property
    def polarisations(self) -> list[str]:
        """Polarisations whose annotation XML is in the product, in the order VV, VH, HH, HV."""
        return [
            pol for pol in POLARISATIONS if any(re.search(pol_file_pattern("annotation", pol), n) for n in self._names)
        ]

    def _pol_file(self, kind: str, pol: str) -> str:
        low = pol.lower()
        if pol.upper() not in self.polarisations:
            raise ValueError(
                f"{self.path}: no {pol} polarisation (it has {', '.join(self.polarisations)}); "
                "set sentinel1.polarisations to what the products hold"
            )
        name = self._find(pol_file_pattern(kind, pol))
        if name is None:
            where = {"measurement": "measurement/", "annotation": "annotation/"}.get(kind, "annotation/calibration/")
            raise ValueError(
                f"{self.path}: the {pol} {kind} file ({where}s1?-iw-grd-{low}-*) is missing; the product is "
                "incomplete, download it again"
            )
        return name

    def measurement_path(self, pol: str) -> str:
        """GDAL path of the measurement TIFF of ``pol`` (``/vsizip/`` in a zip: windows read in place).

        In place is cheap only for a TIFF stored in the zip; one deflated by the zip is inflated from its
        start for every window, so the workflow reads products unpacked (:mod:`sar2ndvi.sentinel1.layout`).
        """
        name = self._pol_file("measurement", pol)
        if self.path.is_file():
            return f"/vsizip/{self.path.resolve().as_posix()}/{name}"
        return str(self.path.parent / name)

    # -- manifest ----------------------------------------------------------------------------------

    @cached_property
    def manifest(self) -> etree._Element:
        name = self._find(r"manifest\.safe$")
        assert name is not None  # checked in __init__
        return self._xml(name)

    def _manifest_text(self, name: str, **attrs: str) -> str | None:
        for el in _local(self.manifest, name):
            if all(el.get(k) == v for k, v in attrs.items()) and el.text and el.text.strip():
                return el.text.strip()
        return None

    @cached_property
    def ipf_version(self) -> float | None:
        """Version of ESA's Instrument Processing Facility that made the product (``safe:software``)."""
        for el in _local(self.manifest, "software"):
            if el.get("name") == "Sentinel-1 IPF" and el.get("version"):
                return float(el.get("version"))
        return None

    @cached_property
    def info(self) -> ProductInfo:
        """Product information from the manifest, completed from the first polarisation's annotation."""
        header = self.annotation(self.polarisations[0]).find("adsHeader")
        general = self.annotation(self.polarisations[0]).find("generalAnnotation/productInformation")
        family, number = self._manifest_text("familyName"), self._manifest_text("number")
        mission = f"S1{number}" if family == "SENTINEL-1" and number else header.findtext("missionId")
        start = self._manifest_text("startTime") or header.findtext("startTime")
        stop = self._manifest_text("stopTime") or header.findtext("stopTime")
        orbit = self._manifest_text("orbitNumber", type="start") or header.findtext("absoluteOrbitNumber")
        pass_direction = self._manifest_text("pass") or general.findtext("pass")
        return ProductInfo(
            mission=mission,
            mode=self._manifest_text("mode") or header.findtext("mode"),
            product_type=self._manifest_text("productType") or header.findtext("productType"),
            polarisations=tuple(self.polarisations),
            pass_direction=pass_direction.upper(),
            start_time=_time(start),
            stop_time=_time(stop),
            absolute_orbit=int(orbit),
            ipf_version=self.ipf_version,
        )

    @cached_property
    def footprint(self):  # -> shapely Polygon | None (shapely is imported lazily)
        """Scene footprint from the manifest as a lon/lat (EPSG:4326) shapely polygon, or None."""
        from shapely.geometry import Polygon

        text = self._manifest_text("coordinates")
        if not text:
            return None
        pairs = [tuple(float(v) for v in p.split(",")) for p in text.split()]
        return Polygon([(lon, lat) for lat, lon in pairs])

    # -- annotation --------------------------------------------------------------------------------

    def annotation(self, pol: str) -> etree._Element:
        """Root of the product annotation XML of ``pol``."""
        return self._xml(self._pol_file("annotation", pol))

    def image_info(self, pol: str) -> ImageInfo:
        """Image geometry of ``pol``.

        Raises:
            ValueError: if the annotation is not of an IW GRD product.
        """
        root = self.annotation(pol)
        header = root.find("adsHeader")
        if header.findtext("mode") != "IW" or header.findtext("productType") != "GRD":
            kind = f"{header.findtext('mode')} {header.findtext('productType')}"
            raise ValueError(
                f"{self.path}: {pol} annotation is of a {kind} product, not IW GRD; give an IW GRD product"
            )
        info = root.find("imageAnnotation/imageInformation")
        return ImageInfo(
            first_line_time=_time(info.findtext("productFirstLineUtcTime")),
            last_line_time=_time(info.findtext("productLastLineUtcTime")),
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
        """Orbit state vectors of the annotation (Earth-fixed), epoch = first vector's time."""
        vectors = self.annotation(pol).findall("generalAnnotation/orbitList/orbit")
        if len(vectors) < 4:
            raise ValueError(f"{self.path}: {pol} annotation has {len(vectors)} orbit state vectors, at least 4 needed")
        times = np.array([_time(v.findtext("time")) for v in vectors])
        pos = np.array([[float(v.findtext(f"position/{a}")) for a in "xyz"] for v in vectors])
        vel = np.array([[float(v.findtext(f"velocity/{a}")) for a in "xyz"] for v in vectors])
        epoch = times.min()
        seconds = (times - epoch) / np.timedelta64(1, "s")
        order = np.argsort(seconds, kind="stable")
        # duplicated state vectors occur in some annotations; the spline needs increasing times
        keep = np.concatenate([[True], np.diff(seconds[order]) > 0])
        return Orbit(epoch, seconds[order][keep], pos[order][keep], vel[order][keep])

    def geolocation_grid(self, pol: str) -> GeolocationGrid:
        """The annotation's geolocation grid of ``pol``."""
        points = self.annotation(pol).findall("geolocationGrid/geolocationGridPointList/geolocationGridPoint")
        if not points:
            raise ValueError(f"{self.path}: {pol} annotation has no geolocation grid points")

        def col(tag: str) -> np.ndarray:
            return np.array([float(p.findtext(tag)) for p in points])

        return GeolocationGrid(
            line=col("line"),
            pixel=col("pixel"),
            azimuth_time=np.array([_time(p.findtext("azimuthTime")) for p in points]),
            slant_range_time=col("slantRangeTime"),
            latitude=col("latitude"),
            longitude=col("longitude"),
            height=col("height"),
            incidence_angle=col("incidenceAngle"),
            elevation_angle=col("elevationAngle"),
        )

    def coordinate_conversion(self, pol: str) -> CoordinateConversion:
        """The slant/ground range conversion records of ``pol``, sorted by azimuth time."""
        records = self.annotation(pol).findall("coordinateConversion/coordinateConversionList/coordinateConversion")
        if not records:
            raise ValueError(
                f"{self.path}: {pol} annotation has no coordinateConversion list, which geocoding a GRD needs"
            )
        times = np.array([_time(r.findtext("azimuthTime")) for r in records])
        order = np.argsort(times, kind="stable")
        return CoordinateConversion(
            azimuth_time=times[order],
            sr0=np.array([float(r.findtext("sr0")) for r in records])[order],
            srgr=np.array([_floats(r.findtext("srgrCoefficients")) for r in records])[order],
            gr0=np.array([float(r.findtext("gr0")) for r in records])[order],
            grsr=np.array([_floats(r.findtext("grsrCoefficients")) for r in records])[order],
        )

    # -- calibration and noise ---------------------------------------------------------------------

    def calibration_vectors(self, pol: str) -> CalibrationVectors:
        """All calibration vectors of ``pol`` (sigmaNought, betaNought, gamma, dn)."""
        root = self._xml(self._pol_file("calibration", pol))
        vectors = root.findall("calibrationVectorList/calibrationVector")
        if not vectors:
            raise ValueError(f"{self.path}: {pol} calibration XML holds no calibration vectors; the product is damaged")
        return CalibrationVectors(
            line=np.array([int(v.findtext("line")) for v in vectors]),
            pixel=[_floats(v.findtext("pixel")) for v in vectors],
            sigma_nought=[_floats(v.findtext("sigmaNought")) for v in vectors],
            beta_nought=[_floats(v.findtext("betaNought")) for v in vectors],
            gamma=[_floats(v.findtext("gamma")) for v in vectors],
            dn=[_floats(v.findtext("dn")) for v in vectors],
        )

    def calibration_lut(self, pol: str, kind: CalibrationKind = "sigmaNought") -> Lut:
        """The calibration LUT ``kind`` (sigmaNought, betaNought, gamma or dn) of ``pol``; parsed once."""
        key = ("calibration", pol, kind)
        if key not in self._lut_cache:
            if kind not in CALIBRATION_KINDS:
                raise ValueError(f"unknown calibration LUT {kind!r}; use one of {', '.join(CALIBRATION_KINDS)}")
            vectors = self._xml(self._pol_file("calibration", pol)).findall("calibrationVectorList/calibrationVector")
            if not vectors:
                raise ValueError(
                    f"{self.path}: {pol} calibration XML holds no calibration vectors; the product is damaged"
                )
            self._lut_cache[key] = _lut(vectors, kind)
        return self._lut_cache[key]

    def noise_luts(self, pol: str) -> NoiseLuts:
        """Thermal-noise LUTs of ``pol``, in either of the two formats ESA has annotated.

        IPF ≥ 2.9: range vectors (``noiseRangeVectorList``) and azimuth blocks. IPF < 2.9: one
        ``noiseVectorList`` whose range vectors are the whole noise power (no azimuth term), as
        SNAP's ThermalNoiseRemoval and ESA's note MPC-0392 treat it.

        Raises:
            ValueError: naming the noise file, if it holds neither format.
        """
        key = ("noise", pol)
        if key not in self._lut_cache:
            self._lut_cache[key] = self._read_noise_luts(pol)
        return self._lut_cache[key]

    def _read_noise_luts(self, pol: str) -> NoiseLuts:
        name = self._pol_file("noise", pol)
        root = self._xml(name)
        ranges = root.findall("noiseRangeVectorList/noiseRangeVector")
        if ranges:
            blocks = tuple(
                AzimuthNoiseBlock(
                    swath=b.findtext("swath") or "",
                    first_line=int(b.findtext("firstAzimuthLine")),
                    first_sample=int(b.findtext("firstRangeSample")),
                    last_line=int(b.findtext("lastAzimuthLine")),
                    last_sample=int(b.findtext("lastRangeSample")),
                    lines=_floats(b.findtext("line")),
                    values=_floats(b.findtext("noiseAzimuthLut")),
                )
                for b in root.findall("noiseAzimuthVectorList/noiseAzimuthVector")
            )
            return NoiseLuts(_lut(ranges, "noiseRangeLut"), blocks, legacy=False, source=name)
        legacy = root.findall("noiseVectorList/noiseVector")
        if not legacy:
            raise ValueError(
                f"{self.path}: {name} holds neither noiseRangeVectorList (IPF ≥ 2.9) nor noiseVectorList "
                "(IPF < 2.9) noise vectors; the product is damaged: download it again, or turn noise "
                "removal off"
            )
        return NoiseLuts(_lut(legacy, "noiseLut"), (), legacy=True, source=name)

    def thermal_noise_removed(self, pol: str) -> bool:
        """Whether the IPF already removed thermal noise from ``pol`` (``thermalNoiseCorrectionPerformed``)."""
        flag = self.annotation(pol).findtext("imageAnnotation/processingInformation/thermalNoiseCorrectionPerformed")
        return (flag or "false").strip().lower() == "true"


__all__ = [
    "POLARISATIONS",
    "AzimuthNoiseBlock",
    "CalibrationVectors",
    "CoordinateConversion",
    "GeolocationGrid",
    "ImageInfo",
    "Lut",
    "NoiseLuts",
    "PolFileKind",
    "ProductInfo",
    "SafeProduct",
    "pol_file_pattern",
    "relative_orbit",
]
