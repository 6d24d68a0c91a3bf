"""Every shell command of the README works as written.

Each command found in the README (the lines of its ``bash`` blocks, and code spans that start with a
command) has an entry in COMMANDS saying how it is run here: for real where that takes seconds, as a
dry run where the real one takes long (the full study), on the small demo study where the command
needs a finished run, or by the CI script that runs it. A command added to the README without an
entry, or an entry whose command left the README, fails the first test.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from slurm_cluster import cluster_answers
from workflow_cli import FAKE_SECRETS, SEARCHES, Job, copy_run, job_set

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
CI = REPO / ".ci" / "run"
COMMAND_WORDS = ("snakemake", "bash", "python3", "sar2ndvi", "pip")


def readme_commands() -> list[str]:
    """The README's shell commands, in order, each once."""
    text = README.read_text()
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                found.append(line)
    for span in re.findall(r"`([^`\n]+)`", text):
        if span.split(" ")[0] in COMMAND_WORDS and " " in span:
            found.append(span)
    return list(dict.fromkeys(found))


def readme_yaml(first_line: str) -> dict:
    """The README's YAML block that starts with ``first_line``."""
    for block in re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S):
        if block.startswith(first_line):
            return yaml.safe_load(block)
    raise AssertionError(f"the README has no yaml block starting {first_line!r}")


def shell(command: str, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=_environment()
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def _environment() -> dict:
    import os

    return {**os.environ, **FAKE_SECRETS}


def snakemake(command: str, workdir: Path, cwd: Path = REPO, dry_run: bool = False, small_study: bool = False):
    """Run the README's ``snakemake …`` command on the workflow of this repository in ``workdir``.

    ``small_study`` adds the working directory's config.yaml (the small demo study) before the
    command's own arguments; ``dry_run`` adds --dry-run there too.
    """
    words = shlex.split(command)
    assert words[0] == "snakemake", command
    added = ["--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir)]
    if small_study:
        added.append(f"--configfile={workdir / 'config.yaml'}")
    if dry_run:
        added.append("--dry-run")
    executable = shutil.which("snakemake")
    assert executable, "the README's commands call snakemake from the PATH"
    result = subprocess.run(
        [executable, *added, *words[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env=_environment(),
    )
    assert result.returncode == 0, f"{command}\n{result.stderr[-4000:]}"
    return result


# How each command is run ---------------------------------------------------------------------


def quick_start(command, ctx):
    """Set-up for real; the run of the full study (6½ minutes) as a dry run from an empty folder."""
    setup, run = command.split(" && ")
    shell(setup, REPO)
    plan = job_set(snakemake(run, ctx.empty(), dry_run=True))
    assert {Job("demo_store"), Job("s1_search")} <= plan


def the_test_command(command, ctx):
    """Set-up for real; the tests are what is running now, and .ci/run runs this command."""
    setup, tests = command.split(" && ", 1)
    assert tests in CI.read_text()
    shell(setup, REPO)


def the_small_study(command, ctx):
    """For real, on a finished run of that very study: nothing is left to do."""
    result = snakemake(command, ctx.finished_copy())
    assert "Nothing to be done" in result.stdout + result.stderr


def an_overlaid_study(command, ctx):
    """As a dry run from an empty folder: the overlay's demo archive is written first."""
    plan = job_set(snakemake(command, ctx.empty(), dry_run=True))
    assert {Job("demo_store"), Job("s1_search")} <= plan


def script_from_the_shell(command, ctx):
    """For real, on a scene of the finished small study, in place of the placeholders."""
    run = ctx.finished
    sigma0 = sorted((run / "results/s1/sigma0").glob("*.tif"))[0]
    out = ctx.tmp / "indexes.tif"
    filled = command.replace("results/grid/pretrain.json", str(run / "results/grid/pretrain.json"))
    filled = filled.replace("sigma0=S1.tif", f"sigma0={sigma0}").replace("IDX.tif", str(out))
    shell(filled.replace("scene=S1", f"scene={sigma0.stem}"), REPO)
    assert out.read_bytes() == (run / "results/s1/indexes" / sigma0.name).read_bytes()


def run_by_ci(command, ctx):
    """The cluster's own commands: .ci/run runs them, around the tests, as the README writes them."""
    assert command in CI.read_text()


def search_again(command, ctx):
    """For real, on a finished run of the small demo study: the three searches run, and nothing else."""
    run = ctx.finished_copy()
    assert job_set(snakemake(command, run, small_study=True)) == SEARCHES


def nothing_left_to_do(command, ctx):
    """For real, on a finished run of the small demo study."""
    run = ctx.finished_copy()
    result = snakemake(command, run, small_study=True)
    assert "Nothing to be done" in result.stdout + result.stderr


def dry_run_on_the_small_study(command, ctx):
    """As a dry run, on a finished run of the small demo study."""
    run = ctx.finished_copy()
    snakemake(command, run, small_study=True, dry_run=True)


def dry_run_from_an_empty_folder(command, ctx):
    """As a dry run from an empty folder, with the workflow's own defaults."""
    plan = job_set(snakemake(command, ctx.empty(), dry_run=True))
    assert Job("demo_store") in plan


def dry_run_of_my_yaml(command, ctx):
    """The README's my.yaml example, as written, in the folder the command runs in."""
    folder = ctx.empty()
    (folder / "my.yaml").write_text(yaml.safe_dump(readme_yaml("# my.yaml")))
    plan = job_set(snakemake(command, folder, cwd=folder, dry_run=True))
    assert {Job("s1_search"), Job("optical_search", "sensor=sentinel2"), Job("dem_copernicus")} <= plan


def next_season(command, ctx):
    """As a dry run: the README's season2018.yaml in a folder beside a finished run, whose model it names."""
    project = ctx.empty()
    model = "results/models/pix2pix-indexes-aug-s42/finetune.pt"
    (project / model).parent.mkdir(parents=True)
    shutil.copy2(ctx.finished / model, project / model)
    season = project / "season2018"
    season.mkdir()
    (project / "season2018.yaml").write_text(yaml.safe_dump(readme_yaml("# season2018.yaml")))
    words = shlex.split(command)
    words[words.index("--directory") + 1] = str(season)
    words = [f"--configfile={project / 'season2018.yaml'}" if w == "--configfile=season2018.yaml" else w for w in words]
    plan = job_set(snakemake(shlex.join(words), season, dry_run=True))
    assert Job("fused_area", "area=north_fields") in plan and Job("fused_area", "area=test") in plan
    assert not {job for job in plan if job.rule in ("train", "dataset")}, "the second season trains nothing"


def report(command, ctx):
    """For real, on the small demo study's finished experiments, after the report's figures (as the README says)."""
    run = copy_run(ctx.experiments, ctx.tmp / "report")
    parts = command.split(" && ")
    if parts[0] != "snakemake --cores 8 report_figures":
        parts.insert(0, "snakemake --cores 8 report_figures")
    for part in parts:
        snakemake(part, run, small_study=True)
    assert (run / "report.html").stat().st_size > 100_000


def sigma0_command(command, ctx):
    """For real, with a product, a box and the DEM of the demo world in place of the placeholders."""
    run = ctx.finished
    product = sorted((run / "resources/demo/sentinel1").glob("*.zip"))[0]
    out = ctx.tmp / "sigma0.tif"
    filled = command.replace("PRODUCT.zip", str(product)).replace("DEM.tif", str(run / "resources/demo/dem/dem.tif"))
    filled = filled.replace("W S E N", "138.484 36.539 138.492 36.543").replace("OUT.tif", str(out))
    shell(filled, ctx.tmp)
    assert out.stat().st_size > 0


def editable_install(command, ctx):
    """tools/setup.sh makes it; the installed package is this repository's source."""
    assert "-e ." in (REPO / "tools" / "setup.sh").read_text()
    shown = shell(f"{sys.executable} -m pip show sar2ndvi", REPO).stdout
    assert f"Editable project location: {REPO}" in shown


def overhead_benchmark(command, ctx):
    """On a cluster (CI starts one), for one scene."""
    if not cluster_answers():
        pytest.skip("needs a SLURM cluster (bash tools/slurm_cluster.sh start)")
    printed = shell(f"{command} --scenes 1", REPO).stdout
    assert "one job per scene (job group)" in printed and "one job per step" in printed


def determinism(command, ctx):
    """On the small demo study and a target of seconds, twice from scratch."""
    target = "results/dem/heights.tif"
    printed = shell(f"{command} {REPO / 'config/test/small.yaml'} {target}", REPO).stdout
    assert f"identical: two runs with the same seed give the same {target}" in printed


def throughput(command, ctx):
    """With two training steps and a small area."""
    printed = shell(f"{command} --steps 2 --side 48", REPO).stdout
    assert "inference, pix2pix, with TTA" in printed


def dag_benchmark(command, ctx):
    """For a study of 20 scenes, planned once."""
    printed = shell(f"{command} --scenes 20 --repeats 1", REPO).stdout
    assert re.search(r"^\s+20\s+\d+\s+\d+\s+\d+\s+[\d.]+$", printed, re.MULTILINE), printed


def within_field_benchmark(command, ctx):
    """For real (about 15 s): the demo's rows always, the real patch's where ../shared/data/real is."""
    printed = shell(command, REPO).stdout
    assert re.search(r"demo as drawn\s+true cabbage parcels\s+0\.0[3-6]", printed), printed
    assert re.search(r"demo, uniform fields\s+true cabbage parcels\s+0\.0[1-3]", printed), printed
    if (REPO.parent / "shared" / "data" / "real").is_dir():
        assert "Sentinel-2, Slovenia 2017" in printed


COMMANDS: dict[str, Callable] = {
    "bash tools/setup.sh && snakemake --cores 8 results/ndvi_test.tif": quick_start,
    'bash tools/setup.sh && python3 -m pytest -q -m "not slow" && python3 -m pytest -q -m slow': the_test_command,
    "snakemake --cores 2 --configfile=config/test/small.yaml": the_small_study,
    (
        "snakemake --cores 2 --configfile config/test/small.yaml config/test/legacy_archive.yaml -- "
        "results/ndvi_test.tif"
    ): an_overlaid_study,
    (
        "python3 workflow/scripts/sar_indexes.py --input sigma0=S1.tif grid=results/grid/pretrain.json "
        "--output IDX.tif --wildcards scene=S1"
    ): script_from_the_shell,
    "snakemake --cores 8 --forcerun s1_search optical_search -- results/ndvi_test.tif": search_again,
    "snakemake --profile profiles/slurm results/ndvi_test.tif": dry_run_on_the_small_study,
    "bash tools/slurm_cluster.sh install && bash tools/slurm_cluster.sh start": run_by_ci,
    "bash tools/slurm_cluster.sh stop": run_by_ci,
    "snakemake --cores 8 experiments": dry_run_on_the_small_study,
    "snakemake --cores 8 fusion": dry_run_on_the_small_study,
    (
        "snakemake --cores 8 --directory season2018 --configfile=season2018.yaml -- results/fields_test.parquet "
        "results/fields_north_fields.parquet"
    ): next_season,
    "snakemake --cores 8 report_figures && snakemake --report report.html report_figures": report,
    "bash tools/determinism.sh": determinism,
    "python3 benchmarks/model_throughput.py": throughput,
    "python3 benchmarks/dag_scale.py": dag_benchmark,
    "python3 benchmarks/within_field_variability.py": within_field_benchmark,
    "snakemake --cores 8 --configfile=my.yaml results/ndvi_test.tif": dry_run_of_my_yaml,
    "snakemake --cores 8 results/metrics.json": nothing_left_to_do,
    "snakemake --report report.html report_figures": report,
    "sar2ndvi sigma0 PRODUCT.zip --bbox W S E N --crs EPSG:32654 --resolution 10 --dem DEM.tif --out OUT.tif": (
        sigma0_command
    ),
    "pip install -e .": editable_install,
    "python3 benchmarks/slurm_scene_overhead.py": overhead_benchmark,
    "snakemake --cores 8 --configfile=config/paper.yaml experiments": dry_run_from_an_empty_folder,
    "snakemake --cores 8 --configfile=my.yaml --forcerun s1_search optical_search -- results/ndvi_test.tif": (
        dry_run_of_my_yaml
    ),
}


def test_every_readme_command_has_a_way_to_be_run_here():
    commands = readme_commands()
    assert len(commands) >= 15
    assert set(commands) == set(COMMANDS), {
        "in the README without a check": sorted(set(commands) - set(COMMANDS)),
        "checked but no longer in the README": sorted(set(COMMANDS) - set(commands)),
    }


class Context:
    def __init__(self, tmp: Path, finished: Path, experiments: Path | None) -> None:
        self.tmp, self.finished, self.experiments = tmp, finished, experiments
        self._count = 0

    def empty(self) -> Path:
        self._count += 1
        folder = self.tmp / f"empty{self._count}"
        folder.mkdir()
        return folder

    def finished_copy(self) -> Path:
        self._count += 1
        return copy_run(self.finished, self.tmp / f"run{self._count}")


@pytest.mark.parametrize("command", list(COMMANDS), ids=[c[:60] for c in COMMANDS])
def test_the_readme_command_works(command, request, tmp_path, finished_demo_run):
    check = COMMANDS[command]
    experiments = request.getfixturevalue("finished_experiments_run") if check is report else None
    print(f"\n$ {command}\n  checked: {(check.__doc__ or check.__name__).strip()}")
    check(command, Context(tmp_path, finished_demo_run, experiments))
