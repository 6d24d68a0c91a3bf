"""The report's figures: what each shows, checked on small synthetic data."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sar2ndvi import figures


def test_ndvi_maps_show_prediction_planet_and_difference_on_one_scale(tmp_path):
    predicted = np.full((20, 30), 0.6)
    observed = np.full((20, 30), 0.5)
    predicted[0, 0] = np.nan
    fig = figures.ndvi_maps(predicted, observed, (0, 300, 0, 200), "a date")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3
    assert images[0].get_clim() == images[1].get_clim() == figures.NDVI_RANGE
    assert np.ma.is_masked(images[0].get_array()[0, 0]) or np.isnan(images[0].get_array()[0, 0])
    np.testing.assert_allclose(np.nanmean(images[2].get_array()), 0.1)
    figures.save(fig, tmp_path / "map.png")
    assert Image.open(tmp_path / "map.png").size[0] > 1000


def test_training_curves_mark_the_best_validation_epoch():
    history = pd.DataFrame({"epoch": [1, 2, 3, 4], "l1": [0.3, 0.2, 0.15, 0.14], "val_mse": [0.03, 0.01, 0.02, 0.025]})
    pretraining = pd.DataFrame({"epoch": [1, 2], "l1": [0.4, 0.35]})  # a fixed schedule, without validation
    fig = figures.training_curves({"pre-training": pretraining, "fine-tuning": history})
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 1
    marker = fig.axes[1].collections[0].get_offsets()[0]
    assert tuple(marker) == (2, 0.01)


def test_scatter_has_the_one_to_one_line_and_the_metrics():
    observed = np.linspace(0, 0.9, 100)
    predicted = observed + 0.1
    fig = figures.scatter(predicted, observed)
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_label() == "1:1"]
    assert tuple(line.get_xdata()) == tuple(line.get_ydata())
    assert "MSE 0.0100" in fig.axes[0].get_title()


def test_parcel_timeseries_draws_one_panel_a_parcel_with_the_spread():
    times = pd.date_range("2017-05-01", periods=5, freq="12D")
    predicted = np.full((3, 5), 0.5)
    fig = figures.parcel_timeseries(list(times), predicted, np.full((3, 5), 0.05), np.full((3, 5), np.nan))
    assert len(fig.axes) == 3
    assert all(ax.collections for ax in fig.axes), "the ± std band is drawn"


def test_regression_figure_and_html_table():
    landsat = np.linspace(0, 0.8, 50)
    fig = figures.regression(landsat, 0.9 * landsat + 0.1, 0.9, 0.1, 1.0, titles=("Landsat 8/9", "PlanetScope"))
    assert "PlanetScope = 0.900 · Landsat 8/9 + 0.100" in fig.axes[0].get_legend().get_texts()[0].get_text()
    assert fig.axes[0].get_xlabel() == "Landsat 8/9 NDVI"
    html = figures.html_table(pd.DataFrame({"method": ["Ours", "Ablation 1"], "validation_mse": [0.01, 0.02]}), "T3")
    assert "<h3>T3</h3>" in html and "Ablation 1" in html and "0.02000" in html


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
