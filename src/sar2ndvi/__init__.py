"""sar2ndvi: NDVI of crop fields from Sentinel-1 SAR backscatter.

The library behind the Snakemake workflow: area grids, Sentinel-1 σ0 from GRD products,
optical NDVI, farm masks from MAFF fude polygons, SAR index channels, pix2pix models and metrics.
"""

__version__ = "0.1.0"
