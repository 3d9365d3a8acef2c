"""The `hepcourse` command line: data list/info/verify/clear and argument errors."""

import subprocess
import sys

import pytest

from hepcourse import cli
from hepcourse.data.sharding import parse_shard, select_shard


def test_info_prints_the_card(capsys):
    assert cli.main(["data", "info", "jets"]) == 0
    out = capsys.readouterr().out
    assert "Dataset card" in out and "anti-kT R = 0.8" in out


def test_verify_reports_missing_files_in_an_empty_cache(tmp_cache, capsys):
    assert cli.main(["data", "verify"]) == 1
    out = capsys.readouterr().out
    assert "missing" in out and "problem(s) found" in out


def test_list_counts_ready_shards(tmp_cache, capsys):
    assert cli.main(["data", "list"]) == 0
    assert "0/48 shards ready" in capsys.readouterr().out


def test_clear_needs_yes(tmp_cache, capsys):
    (tmp_cache / "jets").mkdir(parents=True)
    assert cli.main(["data", "clear", "jets"]) == 1
    assert (tmp_cache / "jets").exists()
    assert cli.main(["data", "clear", "jets", "--yes"]) == 0
    assert not (tmp_cache / "jets").exists()


def test_bad_shard_spec(capsys):
    assert cli.main(["data", "prepare", "--shard", "5/4"]) == 2
    assert "0 <= i < N" in capsys.readouterr().err


def test_shard_selection_partitions_the_tasks():
    tasks = list(range(10))
    parts = [select_shard(tasks, i, 3) for i in range(3)]
    assert sorted(sum(parts, [])) == tasks
    assert parse_shard("2/3") == (2, 3)
    with pytest.raises(ValueError, match="i/N"):
        parse_shard("two")


def test_module_entry_point_and_unknown_profile(tmp_cache):
    result = subprocess.run([sys.executable, "-m", "hepcourse", "data", "list", "--profile", "huge"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'huge'" in result.stderr
