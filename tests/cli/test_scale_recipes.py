"""The scale recipes of docs/scale.md run as written: the GitHub Actions matrix and the
Kubernetes Indexed Job, each shard's command and the merge, against the loopback world.

The commands are taken from the YAML files themselves (matrix values and the job index
filled in as the engines fill them), so a recipe that stops working fails here.
"""

from __future__ import annotations

import csv
import glob
import io
import shlex
from pathlib import Path

import pytest

from conftest import run_cli
from paths import ROOT

yaml = pytest.importorskip("yaml")

DOMAINS = "ok.spf.test\nreject.dmarc.test\nnone.dmarc.test\nok.mx.test\npartial.mx.test\n" \
          "multiple.spf.test\nnot a domain\ninherit.dmarc.test\n"


def load(path: str) -> list[dict]:
    return list(yaml.safe_load_all((ROOT / path).read_text()))


def deliverability_args(shell: str, variables: dict[str, str]) -> list[str]:
    """The `deliverability ...` command of a shell line, variables filled in, globs expanded
    (`{ deliverability ... || test $? -eq 1; }`: the command before the `||`)."""
    parts = [c.strip().lstrip("{").strip() for c in shell.split("&&")]
    (command,) = [c.split("||")[0] for c in parts if c.startswith("deliverability ")]
    for name, value in variables.items():
        command = command.replace(name, value)
    args = shlex.split(command)[1:]
    return [match for arg in args for match in (sorted(glob.glob(arg)) if "*" in arg else [arg])]


def run_recipe(args: list[str], world) -> object:  # type: ignore[no-untyped-def]
    live = ["--resolver", world.address, "--timeout", "3"] if args[0] == "check" else []
    result = run_cli(*args, *live)
    assert result.code in (0, 1), result.stderr  # 1: some domains have problems
    return result


def merged_domains(path: Path) -> list[str]:
    return [row["domain"] for row in csv.DictReader(io.StringIO(path.read_text()))]


def test_the_github_actions_matrix_shards_and_merges(world, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("domains.txt").write_text(DOMAINS)
    (workflow,) = load("examples/github-actions/scan-domains.yml")
    shard_job, merge_job = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    shards = shard_job["strategy"]["matrix"]["shard"]
    assert shards == list(range(int(workflow["env"]["SHARDS"])))
    (step,) = [s for s in shard_job["steps"] if "deliverability check" in s.get("run", "")]
    upload = shard_job["steps"][-1]["with"]
    for shard in shards:
        fill = {"${{ matrix.shard }}": str(shard), "${{ env.SHARDS }}": str(len(shards))}
        run_recipe(deliverability_args(step["run"], fill), world)
        assert Path(upload["path"].replace("${{ matrix.shard }}", str(shard))).exists()
    (merge,) = [s for s in merge_job["steps"] if "deliverability merge" in s.get("run", "")]
    run_recipe(deliverability_args(merge["run"], {}), world)
    assert merged_domains(Path("results.csv")) == DOMAINS.splitlines()
    assert merge_job["needs"] == "shard"


def test_the_kubernetes_indexed_job_shards_to_the_volume_and_merges(world, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "domains.txt").write_text(DOMAINS)
    (job,) = load("examples/k8s/scan-job.yaml")
    (merge_job,) = load("examples/k8s/merge-job.yaml")
    claim, loader = load("examples/k8s/volume.yaml")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    (container,) = spec["template"]["spec"]["containers"]
    shards = int({e["name"]: e["value"] for e in container["env"]}["SHARDS"])
    assert shards == spec["completions"] == spec["parallelism"]
    for pod in (job, merge_job, loader):
        (volume,) = pod["spec"].get("template", pod)["spec"]["volumes"]
        assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    for index in range(shards):
        fill = {'"$JOB_COMPLETION_INDEX/$SHARDS"': f"{index}/{shards}",
                "$JOB_COMPLETION_INDEX": str(index), "/data/": f"{tmp_path}/"}
        run_recipe(deliverability_args(container["args"][0], fill), world)
    (merger,) = merge_job["spec"]["template"]["spec"]["containers"]
    run_recipe(deliverability_args(merger["args"][0], {"/data/": f"{tmp_path}/"}), world)
    assert merged_domains(tmp_path / "results" / "merged.csv") == DOMAINS.splitlines()
