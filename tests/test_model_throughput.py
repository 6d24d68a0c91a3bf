"""The model throughput benchmark measures finite, positive rates (no timing is asserted)."""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import model_throughput as bench


def _model(repo):
    model = yaml.safe_load((repo / "config" / "config.yaml").read_text())["model"]
    return {**model, "base_filters": 4, "batch_size": 2, "crop_size": 32}


def test_training_and_inference_rates_are_measured(repo):
    model = _model(repo)
    for family in ("pix2pix", "sen12tp_unet"):
        rate = bench.training_throughput(model, family, "cpu", steps=2, images=2, size=40)
        assert 0 < rate < float("inf")
    rate, trained = bench.inference_throughput(model, "cpu", side=48, tta=False, images=3)
    assert 0 < rate < float("inf") and trained.channels == 10
    assert bench.peak_memory_mb("cpu") > 0
