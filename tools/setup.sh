#!/usr/bin/env bash
# Install everything sar2ndvi needs on a fresh Debian/Ubuntu machine with Python ≥ 3.11:
# GDAL (library, tools and Python bindings), the pinned Python packages, and the package itself.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PYTHON="${PYTHON:-python3}"

if ! command -v gdal-config >/dev/null 2>&1; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends libgdal-dev gdal-bin
fi

"$PYTHON" -m pip install --quiet -r requirements.txt
# The osgeo bindings must match the system GDAL and build against the numpy just installed.
if ! "$PYTHON" -c "from osgeo import gdal" >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet --no-build-isolation --no-cache-dir "gdal==$(gdal-config --version)"
fi
"$PYTHON" -m pip install --quiet --no-deps --no-build-isolation -e .
"$PYTHON" -c "import sar2ndvi, torch, rasterio; from osgeo import gdal; print('sar2ndvi', sar2ndvi.__version__, 'torch', torch.__version__, 'rasterio', rasterio.__version__, 'GDAL', gdal.__version__)"
