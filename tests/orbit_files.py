"""Orbit files for tests: a product's own annotation state vectors in ESA's Earth Explorer layout."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from sar2ndvi.sentinel1.safe import SafeProduct


def write_annotation_eof(path: Path, product: SafeProduct) -> Path:
    """An orbit file at ``path`` holding the state vectors of ``product``'s own annotation."""
    root = etree.Element("Earth_Explorer_File")
    header = etree.SubElement(etree.SubElement(root, "Earth_Explorer_Header"), "Fixed_Header")
    etree.SubElement(header, "File_Name").text = path.stem
    etree.SubElement(header, "Mission").text = "Sentinel-1" + product.info.mission[-1]
    osvs = etree.SubElement(etree.SubElement(root, "Data_Block", type="xml"), "List_of_OSVs")
    for vector in product.annotation("VV").findall("generalAnnotation/orbitList/orbit"):
        osv = etree.SubElement(osvs, "OSV")
        etree.SubElement(osv, "UTC").text = "UTC=" + vector.findtext("time")
        for axis, tag in zip("xyz", ("X", "Y", "Z"), strict=True):
            etree.SubElement(osv, tag, unit="m").text = vector.findtext(f"position/{axis}")
            etree.SubElement(osv, "V" + tag, unit="m/s").text = vector.findtext(f"velocity/{axis}")
    osvs.set("count", str(len(osvs)))
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path
