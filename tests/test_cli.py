"""The `hepcourse` command line: data list/info/verify/clear and argument errors."""

import subprocess
import sys

import pytest

from hepcourse import cli
from hepcourse.data.sharding import parse_shard, select_shard



@pytest.mark.unit
@pytest.mark.parametrize("name", ["jets", "showers", "hls4ml_jets"])
def test_info_prints_the_card_file_of_data(name, capsys):
    from pathlib import Path

    assert cli.main(["data", "info", name]) == 0
    out = capsys.readouterr().out
    card = Path(__file__).resolve().parents[1] / "data" / f"{name}.md"
    assert out == card.read_text(encoding="utf-8"), f"`hepcourse data info {name}` is not {card}"
    if name == "jets":
        assert "anti-kT R = 0.8" in out


@pytest.mark.unit
def test_info_of_an_unknown_dataset_names_the_datasets(capsys):
    with pytest.raises(SystemExit):
        cli.main(["data", "info", "muons"])
    err = capsys.readouterr().err
    assert "muons" in err and all(name in err for name in ("jets", "showers", "hls4ml_jets")), err


@pytest.mark.unit
def test_verify_reports_missing_files_in_an_empty_cache(tmp_cache, capsys):
    assert cli.main(["data", "verify"]) == 1
    out = capsys.readouterr().out
    assert "missing" in out and "problem(s) found" in out


@pytest.mark.unit
def test_list_counts_ready_shards(tmp_cache, capsys):
    assert cli.main(["data", "list"]) == 0
    assert "0/48 shards ready" in capsys.readouterr().out


@pytest.mark.unit
def test_clear_needs_yes(tmp_cache, capsys):
    (tmp_cache / "jets").mkdir(parents=True)
    assert cli.main(["data", "clear", "jets"]) == 1
    assert (tmp_cache / "jets").exists()
    assert cli.main(["data", "clear", "jets", "--yes"]) == 0
    assert not (tmp_cache / "jets").exists()


@pytest.mark.unit
def test_bad_shard_spec(capsys):
    assert cli.main(["data", "prepare", "--shard", "5/4"]) == 2
    assert "0 <= i < N" in capsys.readouterr().err


@pytest.mark.unit
def test_shard_selection_partitions_the_tasks():
    tasks = list(range(10))
    parts = [select_shard(tasks, i, 3) for i in range(3)]
    assert sorted(sum(parts, [])) == tasks
    assert parse_shard("2/3") == (2, 3)
    with pytest.raises(ValueError, match="i/N"):
        parse_shard("two")


@pytest.mark.unit
def test_module_entry_point_and_unknown_profile(tmp_cache):
    result = subprocess.run([sys.executable, "-m", "hepcourse", "data", "list", "--profile", "huge"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'huge'" in result.stderr


# ---- data merge: shards written by batch jobs into their own caches ---------------------------

@pytest.mark.data  # reads the prepared quick-profile cache
def test_merge_takes_valid_shards_and_refuses_corrupt_ones(tmp_path, monkeypatch, capsys):
    from hepcourse import config
    from hepcourse.data import jets

    real = config.data_dir()
    tasks = jets.DATASET.profile_tasks(config.profile("quick"))
    if jets.DATASET.task_status(tasks[0]) != "ok" or jets.DATASET.task_status(tasks[1]) != "ok":
        pytest.skip("needs the prepared quick-profile cache (make data)")
    job_a, job_b = tmp_path / "job0", tmp_path / "job1"
    for job, task in ((job_a, tasks[0]), (job_b, tasks[1])):
        target = job / jets.DATASET.task_path(task).relative_to(real)
        target.parent.mkdir(parents=True)
        target.write_bytes(jets.DATASET.task_path(task).read_bytes())
    corrupt = job_b / jets.DATASET.task_path(tasks[2]).relative_to(real)
    corrupt.parent.mkdir(parents=True, exist_ok=True)
    corrupt.write_bytes(jets.DATASET.task_path(tasks[2]).read_bytes()[:5000])  # a truncated copy

    monkeypatch.setenv("HEPCOURSE_DATA", str(tmp_path / "merged"))
    assert cli.main(["data", "merge", str(job_a), str(job_b), "--profile", "quick"]) == 1  # the rest is missing
    out = capsys.readouterr().out
    assert "copied   2" in out and "invalid  1" in out and "truncated or corrupted" in out
    assert jets.DATASET.task_status(tasks[0]) == "ok" and jets.DATASET.task_status(tasks[1]) == "ok"
    assert jets.DATASET.task_status(tasks[2]) == "missing"


# ---- check ------------------------------------------------------------------------------------

@pytest.mark.unit
def test_check_prints_a_fix_for_each_problem(capsys):
    from hepcourse import doctor

    def broken(report):
        report.problem("the flux capacitor is missing", "apt-get install flux-capacitor")

    assert doctor.run_checks((doctor.check_python, broken)) == 1
    out = capsys.readouterr().out
    assert "PROBLEM  the flux capacitor is missing" in out and "fix: apt-get install flux-capacitor" in out
    assert doctor.run_checks((doctor.check_python, doctor.check_pins, doctor.check_nbgrader)) == 0


@pytest.mark.unit
def test_check_finds_a_wrong_pin(monkeypatch, capsys):
    from hepcourse import doctor

    real = doctor.metadata.version
    monkeypatch.setattr(doctor.metadata, "version", lambda name: "0.0.1" if name == "keras" else real(name))
    assert doctor.run_checks((doctor.check_pins,)) == 1
    assert "keras 0.0.1 (pinned ==" in capsys.readouterr().out


@pytest.mark.unit
def test_size_arguments():
    from hepcourse.instructor.commands import parse_size

    assert parse_size("3G") == 3 * 2**30 and parse_size("512M") == 512 * 2**20 and parse_size("2.5GiB") == int(2.5 * 2**30)
    with pytest.raises(Exception, match="not a size"):
        parse_size("lots")
