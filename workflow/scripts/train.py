"""Train one model of a variant: pre-training (S1 → regression-corrected S2 NDVI), fine-tuning from it
(S1 → Planet NDVI), or the same fine-tuning from scratch."""

from sar2ndvi.steps import model
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    model.train(
        job.wildcards.variant,
        job.wildcards.stage,
        job.input.train,
        job.output.model,
        job.output.history,
        # what the weights depend on comes as params; where and with how many threads they are
        # computed, from the config
        job.params.settings,
        validation_data=job.input.validation,
        init=job.input.init,
        threads=job.config["model"]["threads"],
        device=job.config["model"]["device"],
    )
