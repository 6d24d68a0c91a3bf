"""Sentinel-1 IW GRD: reading SAFE products, σ0 calibration with thermal-noise removal, geocoding."""
