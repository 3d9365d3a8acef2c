"""The environment chain: requirements.lock holds the whole tree with hashes and agrees with
pyproject.toml's pins; make, Binder, conda and the Docker image install it; it is what is installed; Binder builds with data; the README's commands exist;
`make lab` in CI does not start a server; nbgrader's directories are where the config says.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml  # PyYAML: a dependency of jupyter-events, hence always there with jupyterlab
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
BINDER = ROOT / "binder"
ENV_YML = ROOT / "environment.yml"
LOCK = ROOT / "requirements.lock"
MAKEFILE = ROOT / "Makefile"
README = ROOT / "README.md"
NBGRADER_CONFIG = ROOT / "nbgrader_config.py"


# ---- parsing the pins and the lock ---------------------------------------------------------------

def _pins(lines: list[str], where: str) -> dict[str, str]:
    """{canonical name: version} from requirement strings that must all be `name==version`."""
    pins: dict[str, str] = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"{where}: {line!r} is not pinned with a single '=='; every direct dependency is "
            f"pinned so that Binder, conda and `make env` build the same environment"
        )
        name = canonicalize_name(req.name)
        assert name not in pins, f"{where}: {req.name} is listed twice"
        pins[name] = specs[0].version
    return pins


def pyproject_pins() -> dict[str, str]:
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return _pins(deps, "pyproject.toml [project] dependencies")


def parse_lock(text: str) -> dict[str, tuple[Requirement, list[str]]]:
    """{canonical name: (requirement, [sha256 hashes])} of a `uv pip compile --generate-hashes` file."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    joined = re.sub(r"\\\n\s*", " ", text)
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("-"), f"requirements.lock: option line {line!r}"
        spec, *hashes = re.split(r"\s+--hash=", line)
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name not in entries or req.marker, f"requirements.lock lists {req.name} twice"
        entries[name if name not in entries else f"{name} ({req.marker})"] = (req, hashes)
    return entries


def lock_entries() -> dict[str, tuple[Requirement, list[str]]]:
    return parse_lock(LOCK.read_text())


def _noncomment_lines(path: Path) -> list[str]:
    return [ln.split(" #", 1)[0].strip() for ln in path.read_text().splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def _env_yml() -> dict:
    return yaml.safe_load(ENV_YML.read_text())


def _env_yml_pip_list() -> list[str]:
    pip_sections = [d["pip"] for d in _env_yml()["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml: expected exactly one `- pip:` list"
    return [str(x).strip() for x in pip_sections[0]]


# ---- (a) one lock, and everything installs from it ------------------------------------------------

def test_lock_pins_every_package_with_hashes():
    entries = lock_entries()
    assert len(entries) > len(pyproject_pins()), "requirements.lock must hold the transitive packages too"
    loose = [str(req) for req, _ in entries.values()
             if len(req.specifier) != 1 or next(iter(req.specifier)).operator != "=="]
    assert not loose, f"requirements.lock entries not pinned with ==: {loose}"
    unhashed = [str(req) for req, hashes in entries.values() if not hashes or
                not all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes)]
    assert not unhashed, f"requirements.lock entries without sha256 hashes: {unhashed}"


def test_lock_agrees_with_pyproject_pins():
    """A pin changed in pyproject.toml without `make lock` (or the reverse) fails here."""
    entries = lock_entries()
    problems = []
    for name, pinned in pyproject_pins().items():
        if name not in entries:
            problems.append(f"{name}: pinned {pinned} in pyproject.toml, absent from requirements.lock")
            continue
        locked = next(iter(entries[name][0].specifier)).version
        if Version(locked) != Version(pinned):
            problems.append(f"{name}: pyproject.toml pins {pinned}, requirements.lock has {locked}")
    assert not problems, "pyproject.toml and requirements.lock disagree; run `make lock`:\n  " + "\n  ".join(problems)


def test_lock_parser_reads_hashes_markers_and_continuations():
    text = ("# header\nabc==1.0 \\\n    --hash=sha256:" + "a" * 64 + " \\\n    --hash=sha256:" + "b" * 64 +
            "\n    # via x\nzipp==4.1 ; python_full_version < '3.12' \\\n    --hash=sha256:" + "c" * 64 + "\n")
    entries = parse_lock(text)
    assert set(entries) == {"abc", "zipp"}
    assert entries["abc"][1] == ["sha256:" + "a" * 64, "sha256:" + "b" * 64]
    assert str(entries["zipp"][0].marker) == 'python_full_version < "3.12"'


def test_binder_conda_and_docker_install_the_lock():
    assert _noncomment_lines(BINDER / "requirements.txt") == ["-r ../requirements.lock"], (
        "binder/requirements.txt must only include the lock (-r ../requirements.lock)")
    assert _env_yml_pip_list() == ["-r requirements.lock"], (
        "environment.yml's pip list must only install the lock (an editable install cannot be hash-checked)")
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    assert re.search(r"pip install --require-hashes -r /tmp/requirements.lock", dockerfile)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_env_installs_the_lock_with_hash_checks():
    dry = subprocess.run(["make", "--no-print-directory", "-n", "-B", "-C", str(ROOT), str(ROOT / ".venv" / ".installed")],
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "pip sync" in dry.stdout and "--require-hashes" in dry.stdout and "requirements.lock" in dry.stdout, dry.stdout
    assert "--require-hashes -r" in dry.stdout, "the pip fallback must install the lock hash-checked"


def test_environment_yml_builds_the_same_python():
    env = _env_yml()
    assert "conda-forge" in env.get("channels", []), "environment.yml: use the conda-forge channel"
    conda_deps = [str(d).replace(" ", "") for d in env["dependencies"] if not isinstance(d, dict)]
    assert "python=3.11" in conda_deps, f"environment.yml: expected python=3.11 in {conda_deps}"
    assert "pip" in conda_deps, "environment.yml: pip must be a conda dependency to use `pip:`"
    assert "pip install --no-deps -e ." in ENV_YML.read_text(), "environment.yml must say how to install the course"


# ---- (b) the lock is what is installed ------------------------------------------------------

def test_installed_environment_matches_the_lock():
    problems = []
    for key, (req, _) in lock_entries().items():
        if req.marker is not None and not req.marker.evaluate():
            continue
        locked = next(iter(req.specifier)).version
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req.name}: locked {locked}, not installed")
            continue
        if Version(installed) != Version(locked):
            problems.append(f"{req.name}: locked {locked}, installed {installed}")
    assert not problems, (
        f"the environment running the tests ({sys.prefix}) differs from requirements.lock; "
        "run `make sync`:\n  " + "\n  ".join(problems)
    )


def test_course_package_is_installed_with_its_console_script():
    scripts = metadata.entry_points(group="console_scripts", name="hepcourse")
    assert scripts, "the `hepcourse` command is not installed; run `make env` (pip install -e .)"
    assert {ep.value for ep in scripts} == {"hepcourse.cli:main"}


# ---- (c, d) Binder ---------------------------------------------------------------------------

def test_binder_runtime_is_python_311():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11", f"binder/runtime.txt says {runtime!r}, expected 'python-3.11'"


def _commands(script: str) -> list[str]:
    """Non-comment, non-blank lines of a shell script, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", script)
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def test_binder_postbuild_fails_fast_installs_the_course_and_prepares_data():
    path = BINDER / "postBuild"
    script = path.read_text()
    assert script.startswith("#!") and "bash" in script.splitlines()[0], "postBuild needs a bash shebang"
    assert os.access(path, os.X_OK), "binder/postBuild is not executable (git update-index --chmod=+x)"
    cmds = _commands(script)
    set_e = [i for i, c in enumerate(cmds) if re.match(r"set\s+-[a-z]*e", c)]
    assert set_e, "postBuild must `set -e` (set -euo pipefail): a failed step has to fail the build"
    first_work = next(i for i, c in enumerate(cmds) if not c.startswith(("set ", "cd ")))
    assert set_e[0] < first_work, "postBuild: `set -e` must come before the first build step"
    assert any(re.search(r"pip install .*-e \.", c) for c in cmds), "postBuild does not `pip install -e .`"
    prepare = [c for c in cmds if re.search(r"hepcourse data prepare", c)]
    assert prepare, "postBuild does not prepare the data (python -m hepcourse data prepare)"
    assert "--profile full" not in " ".join(prepare), "Binder must prepare the quick profile"
    removed = " ".join(c for c in cmds if re.match(r"rm\s+-[a-z]*r", c)).split()
    for secret in ("solutions", "tests/exercise_variants"):
        assert secret in removed, f"the student image must not hold {secret}/ (postBuild: rm -rf {secret})"


# ---- (e, f) Makefile and README ------------------------------------------------------------

def makefile_targets() -> set[str]:
    return {
        m.group(1)
        for line in MAKEFILE.read_text().splitlines()
        for m in [re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line)]
        if m
    }


def readme_make_commands(text: str) -> set[str]:
    """Targets of `make X` written as code in the README (inline code or fenced blocks)."""
    code = re.findall(r"```.*?```", text, flags=re.S) + re.findall(r"`([^`\n]+)`", text)
    found = set()
    for chunk in code:
        for m in re.finditer(r"(?:^|[\s$;&|(])make\s+([^;&|#\n]*)", chunk, flags=re.M):
            found.update(
                w for w in m.group(1).split()
                if "=" not in w and not w.startswith("-") and re.fullmatch(r"[A-Za-z_][\w.-]*", w)
            )
    return found


def test_user_facing_make_targets_exist():
    missing = {"lab", "test", "env", "data", "help"} - makefile_targets()
    assert not missing, f"Makefile lacks the targets {sorted(missing)}"


def test_readme_commands_are_makefile_targets():
    if not README.exists():
        pytest.skip("README.md not written yet")
    text = README.read_text()
    commands = readme_make_commands(text)
    assert {"lab", "test"} <= commands, (
        f"the README must show `make lab` and `make test`; it shows make {sorted(commands)}"
    )
    missing = commands - makefile_targets()
    assert not missing, f"the README tells readers to run make {sorted(missing)}, which the Makefile lacks"


def test_readme_command_parser():
    text = "Run `make lab`, or\n```bash\n$ make test PYTEST_ARGS=-x\nmake env data\n```\nmake sure to..."
    assert readme_make_commands(text) == {"lab", "test", "env", "data"}


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in {"CI", "NO_LAB", "MAKEFLAGS", "MAKELEVEL"}}
    environ.update(env)
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        env=environ, capture_output=True, text=True, timeout=120,
    )


@needs_make
def test_make_lab_in_ci_is_a_dry_run_that_does_not_start_jupyter():
    # `make -n`: the whole chain (env, data, lab) parses and resolves without running anything
    dry = _make("-n", "lab", CI="true")
    assert dry.returncode == 0, f"`make -n lab` failed:\n{dry.stdout}\n{dry.stderr}"
    assert "hepcourse data prepare" in dry.stdout, "`make lab` does not prepare the data first"
    # the lab recipe itself (env and data taken as done): with CI set it must stop after
    # preparing; a started JupyterLab would block here until the timeout
    for env in ({"CI": "true"}, {"NO_LAB": "1"}):
        run = _make("-o", "env", "-o", "data", "lab", **env)
        assert run.returncode == 0, f"`make lab` with {env} failed:\n{run.stdout}\n{run.stderr}"
        assert "not starting JupyterLab" in run.stdout and "would run:" in run.stdout, run.stdout
        assert "jupyter lab" in run.stdout.split("would run:", 1)[1], run.stdout


@needs_make
def test_make_test_runs_pytest_after_preparing_data():
    dry = _make("-n", "test")
    assert dry.returncode == 0, f"`make -n test` failed:\n{dry.stdout}\n{dry.stderr}"
    lines = dry.stdout.splitlines()
    prepare = next(i for i, ln in enumerate(lines) if "hepcourse data prepare" in ln)
    pytest_run = next(i for i, ln in enumerate(lines) if "-m pytest" in ln)
    assert prepare < pytest_run, "`make test` must prepare the data before running pytest"
    assert "MPLBACKEND=Agg" in lines[pytest_run], "`make test` must run headless (MPLBACKEND=Agg)"


# ---- (g) nbgrader layout ------------------------------------------------------------------------

def nbgrader_config():
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(NBGRADER_CONFIG.name, path=str(ROOT)).load_config()


def test_nbgrader_config_points_at_the_repository():
    cfg = nbgrader_config()
    cd = cfg.CourseDirectory
    assert Path(cd.root) == ROOT, f"CourseDirectory.root is {cd.root}, expected the repository {ROOT}"
    assert cd.course_id == "hepcourse"
    assert cd.source_directory == "solutions" and cd.release_directory == "exercises"
    assert cd.submitted_directory == "submitted"
    assert cfg.ExecutePreprocessor.timeout >= 600, "autograding trains a CNN: allow 600 s per cell"
    assert "raise NotImplementedError()" in cfg.ClearSolutions.code_stub["python"]


@pytest.mark.parametrize("key", ["source_directory", "release_directory"])
def test_nbgrader_directories_exist(key):
    cd = nbgrader_config().CourseDirectory
    path = Path(cd.root) / getattr(cd, key)
    hint = {"source_directory": "solution notebooks go to solutions/NN_topic/NN_topic.ipynb",
            "release_directory": "run `make release` and commit exercises/"}[key]
    assert path.is_dir(), f"nbgrader's {key} {path} does not exist ({hint})"


def test_nbgrader_working_state_is_not_committed():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = ["gradebook.db", "submitted/s/a/a.ipynb", "autograded/s/a/a.ipynb", "feedback/s/a/a.html"]
    result = subprocess.run(["git", "-C", str(ROOT), "check-ignore", *paths], capture_output=True, text=True)
    ignored = set(result.stdout.split())
    assert ignored == set(paths), f"not git-ignored: {sorted(set(paths) - ignored)}"
