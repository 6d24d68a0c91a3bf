"""Paired SAR/NDVI samples of one training stage (pretrain, finetune, validation, test)."""

from sar2ndvi.steps.dataset import dataset
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i, p = job.input, job.params
    dataset(
        job.wildcards.stage,
        p.pairs,
        i.indexes,
        i.targets,
        i.mask,
        i.dem,
        i.study_grid,
        i.grid,
        job.output.data,
        job.output.pairs,
        job.output.record,
        calibration=p.calibration,
        # the calibration decided by the workflow (common.smk): the latest fit, or the one in use while a
        # refit stays within regression.refit_tolerance
        regression=i.regression,
        excluded_grids=i.excluded_grids,
        tile_size=p.tile_size,
        tile_stride=p.tile_stride,
        min_valid_fraction=p.min_valid_fraction,
    )
