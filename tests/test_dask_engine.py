"""Shards made on Dask are the shards of a serial run: a LocalCluster of two worker processes on
loopback writes the same bytes (same files, same checksums) as `ensure_shard` called in this
process; `hepcourse data prepare --dask local` fills a cache that `data verify` accepts; the
batch example builds valid SLURM and HTCondor job scripts without submitting anything."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from hepcourse import cli
from hepcourse.data import airshowers
from hepcourse.data.airshowers import AirShowerDatasetSettings
from hepcourse.data.dask_engine import connect, run_on_dask

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
SMALL = AirShowerDatasetSettings(shard_size=40)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.h5"))}


def test_two_dask_workers_write_the_bytes_of_a_serial_run(tmp_path, monkeypatch):
    tasks = airshowers.DATASET.shard_tasks(320, "val", seed=3, settings=SMALL)  # 2 shards of each of 4 primaries
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "dask"))  # the workers inherit it
    with connect("local", workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        paths = run_on_dask(airshowers.DATASET.ensure_shard, tasks, client, desc="test shards")
        client.cluster.close()
    assert [Path(p) for p in paths] == [airshowers.DATASET.task_path(t) for t in tasks]  # in task order
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "serial"))
    for task in tasks:
        airshowers.DATASET.ensure_shard(*task)
    on_dask, serial = _digests(tmp_path / "dask"), _digests(tmp_path / "serial")
    assert len(serial) == len(tasks) == 8
    assert on_dask == serial


def test_a_failing_shard_raises_with_its_cause(tmp_path, monkeypatch):
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path))
    with connect("local", workers=1) as client:
        with pytest.raises(KeyError, match="no-such-primary"):  # the worker's exception, re-raised here
            run_on_dask(airshowers.DATASET.ensure_shard, [("no-such-primary", "val", 0, 0, SMALL)], client)
        client.cluster.close()


def test_cli_prepares_on_a_local_cluster(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path))
    assert cli.main(["data", "prepare", "--dataset", "airshowers", "--dask", "local", "--workers", "2"]) == 0
    assert cli.main(["data", "verify", "--dataset", "airshowers"]) == 0
    assert "all cached files are valid" in capsys.readouterr().out


def test_a_scheduler_address_is_checked():
    with pytest.raises(ValueError, match="tcp://host:8786"):
        connect("my-cluster")


@pytest.mark.parametrize("batch, marker", [("slurm", "#SBATCH --cpus-per-task=1"), ("htcondor", "RequestCpus")])
def test_batch_example_writes_a_job_script(tmp_path, batch, marker):
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "dask" / "prepare_on_batch.py"), "--batch", batch,
                             "--profile", "quick", "--dataset", "airshowers", "--cache", str(tmp_path), "--dry-run"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
    assert f"export HEPCOURSE_DATA={tmp_path}" in result.stdout
    assert "distributed.cli.dask_worker" in result.stdout and "--nthreads 1" in result.stdout
    assert "profile quick: 28 shards to make" in result.stdout
