"""deploy/: what can be checked here of teaching the course on a JupyterHub.

* Zero-to-JupyterHub values and storage manifests: they load, the key paths are there, the
  memory guarantee fits under the limit, the volume names match (the chart is not installed:
  no Kubernetes here). Whether the limit covers the notebooks' peak memory is measured by
  benchmarks/notebooks.py, not here: this file cannot run the notebooks.
* The Littlest JupyterHub script parses (`bash -n`) and its config files are valid (it is not
  run: it needs systemd and a TLJH server).
* The Dockerfile installs the pinned requirements and bakes no data in (it is not built).
* The single-machine configuration (deploy/local/) IS run: a JupyterLab server started with it
  on loopback lists an assignment released through nbgrader's exchange and serves the
  formgrader for the course.
* The quick-profile data, once prepared, load without writing to the cache, so one prepared
  copy can be shared read-only by a class.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from traitlets.config.loader import PyFileConfigLoader


ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
LOCAL_CONFIG = DEPLOY / "local"
VALUES = DEPLOY / "z2jh" / "values.yaml"
STORAGE = DEPLOY / "z2jh" / "storage.yaml"
TLJH = DEPLOY / "tljh"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
ASSIGNMENT = "01_classification"
VENV_BIN = Path(sys.executable).parent

EXCHANGE_ROOT = "/srv/nbgrader/exchange"
COURSE_ID = "hepcourse"


def k8s_bytes(quantity) -> float:
    """A KubeSpawner / Kubernetes memory quantity ('2G', '1.5G', '2Gi', '512M') in bytes.
    KubeSpawner reads K, M, G, T as powers of 1024 (its ByteSpecification), like Ki, Mi, Gi."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMGT])i?\s*", str(quantity))
    assert m, f"not a memory quantity: {quantity!r}"
    return float(m.group(1)) * 1024 ** "KMGT".index(m.group(2)) * 1024


# ---- Zero-to-JupyterHub ------------------------------------------------------------------------

def _get(tree: dict, dotted: str):
    node = tree
    for key in dotted.split("."):
        assert isinstance(node, dict) and key in node, f"values.yaml lacks {dotted} (at {key!r})"
        node = node[key]
    return node


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


@pytest.mark.unit
def test_values_memory_and_cpu_guarantees_fit_under_their_limits(values):
    # Kubernetes refuses a pod whose request (guarantee) exceeds its limit: no student could log in.
    limit = k8s_bytes(_get(values, "singleuser.memory.limit"))
    guarantee = k8s_bytes(_get(values, "singleuser.memory.guarantee"))
    assert 0 < guarantee <= limit, f"memory.guarantee {guarantee / 1e9:.2f} GB exceeds the limit {limit / 1e9:.2f} GB"
    assert float(_get(values, "singleuser.cpu.guarantee")) >= 1
    assert float(_get(values, "singleuser.cpu.limit")) >= float(_get(values, "singleuser.cpu.guarantee"))


@pytest.mark.unit
def test_values_mount_the_exchange_and_the_read_only_data(values):
    volumes = {v["name"]: v for v in _get(values, "singleuser.storage.extraVolumes")}
    mounts = {m["name"]: m for m in _get(values, "singleuser.storage.extraVolumeMounts")}
    assert set(volumes) == set(mounts), f"volumes {sorted(volumes)} vs mounts {sorted(mounts)}"
    by_path = {m["mountPath"]: name for name, m in mounts.items()}

    assert EXCHANGE_ROOT in by_path, f"nothing is mounted at nbgrader's exchange {EXCHANGE_ROOT}"
    exchange = by_path[EXCHANGE_ROOT]
    assert "persistentVolumeClaim" in volumes[exchange], "the exchange must be a (RWX) PVC"
    assert not mounts[exchange].get("readOnly"), "students submit into the exchange: it must be writable"

    data_path = _get(values, "singleuser.extraEnv.HEPCOURSE_DATA")
    assert data_path in by_path, f"HEPCOURSE_DATA={data_path} is not a mounted volume"
    data = by_path[data_path]
    assert mounts[data].get("readOnly") is True, "the shared data volume must be mounted readOnly"
    assert data != exchange


@pytest.mark.unit
def test_storage_manifests_create_the_claims_that_values_mounts(values):
    docs = [d for d in yaml.safe_load_all(STORAGE.read_text()) if d]
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    used = {v["persistentVolumeClaim"]["claimName"]
            for v in _get(values, "singleuser.storage.extraVolumes") if "persistentVolumeClaim" in v}
    assert used <= set(claims), f"values.yaml mounts claims {sorted(used - set(claims))} that storage.yaml lacks"
    for name in used:
        assert "ReadWriteMany" in claims[name]["spec"]["accessModes"], (
            f"{name}: every user pod mounts it, on any node: it needs ReadWriteMany")
    jobs = [d for d in docs if d["kind"] == "Job"]
    assert jobs, "storage.yaml has no job that prepares the data"
    script = json.dumps(jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"])
    assert "hepcourse data prepare --profile quick" in script


@pytest.mark.unit
def test_values_nbgrader_config_culling_and_image(values):
    files = _get(values, "singleuser.extraFiles")
    cfg = [f for f in files.values() if f.get("mountPath") == "/etc/jupyter/nbgrader_config.py"]
    assert cfg, "no singleuser.extraFiles entry mounts /etc/jupyter/nbgrader_config.py"
    loaded = _load_config_text(cfg[0]["stringData"])
    assert loaded.Exchange.root == EXCHANGE_ROOT and loaded.CourseDirectory.course_id == COURSE_ID
    assert _get(values, "cull.enabled") is True and 0 < int(_get(values, "cull.timeout")) <= 4 * 3600
    assert _get(values, "singleuser.image.name") and str(_get(values, "singleuser.image.tag"))
    for code in _get(values, "hub.extraConfig").values():
        compile(code, "hub.extraConfig", "exec")


def _load_config_text(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        Path(d, "cfg.py").write_text(text)
        return PyFileConfigLoader("cfg.py", path=d).load_config()


# ---- The Littlest JupyterHub ---------------------------------------------------------------------

@pytest.mark.unit
def test_tljh_setup_script_parses_and_sets_limits():
    script = TLJH / "setup.sh"
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"bash -n {script}: {result.stderr}"
    assert os.access(script, os.X_OK), "deploy/tljh/setup.sh is not executable"
    text = script.read_text()
    assert "set -euo pipefail" in text
    tljh_config = r"(?:tljh-config|\$TLJH_CONFIG\"?)"  # the command, or the variable holding its path
    for pattern in (tljh_config + r" set limits\.memory ", tljh_config + r" set limits\.cpu ",
                    tljh_config + r" set services\.cull\.enabled true", tljh_config + r" reload",
                    r"pip install [^\n]*--require-hashes [^\n]*-r [^\n]*requirements\.lock",
                    r"hepcourse data prepare --profile quick", r"/etc/jupyter/nbgrader_config\.py",
                    r"install -d -m 1777 \"\$EXCHANGE\""):
        assert re.search(pattern, text), f"deploy/tljh/setup.sh does not match {pattern!r}"
    default_mem = re.search(r'MEM_LIMIT="\$\{MEM_LIMIT:-([^}]+)\}"', text)
    assert default_mem, "deploy/tljh/setup.sh has no default MEM_LIMIT"
    k8s_bytes(default_mem.group(1))  # a quantity tljh-config accepts, e.g. 2G


@pytest.mark.unit
def test_tljh_nbgrader_config_sets_the_exchange_and_course():
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(TLJH)).load_config()
    assert cfg.Exchange.root == EXCHANGE_ROOT
    assert cfg.CourseDirectory.course_id == COURSE_ID
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert course.CourseDirectory.course_id == COURSE_ID, "the course's course_id differs from the hub's"


@pytest.mark.unit
def test_tljh_hub_snippet_compiles():
    compile((TLJH / "jupyterhub_config_hepcourse.py").read_text(), "jupyterhub_config_hepcourse.py", "exec")


# ---- Docker image ---------------------------------------------------------------------------------

def _dockerfile_instructions() -> list[str]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


@pytest.mark.unit
def test_dockerfile_installs_the_lock_and_no_data():
    lines = _dockerfile_instructions()
    assert lines[0].startswith("FROM python:3.11"), f"base image should be Python 3.11 (binder/runtime.txt): {lines[0]}"
    copies = [ln for ln in lines if ln.startswith("COPY requirements.lock")]
    assert copies, "the Dockerfile must copy requirements.lock (the locked tree)"
    dest = copies[0].split()[-1]
    runs = " ".join(ln for ln in lines if ln.startswith("RUN"))
    assert re.search(rf"pip install [^&]*--require-hashes [^&]*-r {re.escape(dest)}", runs), (
        "the lock is not pip-installed with its hashes checked (--require-hashes -r requirements.lock)")
    assert re.search(r"pip install --no-deps -e /opt/hepcourse", runs), "the course package is not installed"
    assert "g++" in runs, "hls4ml needs g++ in the image"
    assert "data prepare" not in runs, "the data must not be baked into the image (shared read-only volume)"
    ignored = {ln.strip().strip("/") for ln in (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()}
    assert "solutions" in ignored, "solutions/ (solutions + hidden tests) must stay out of the student image"
    assert "tests/exercise_variants" in ignored, "correct answers of tests/exercise_variants must stay out of the image"
    assert "ARG NB_USER=jovyan" in lines, (
        "the image's user must be jovyan: nbgrader takes the student id from JUPYTERHUB_USER only then")
    envs = " ".join(ln for ln in lines if ln.startswith("ENV"))
    assert re.search(r"HEPCOURSE_DATA=/srv/hepcourse-data\b", envs), "the image must point HEPCOURSE_DATA at the mount"


# ---- the single-machine configuration, run for real ---------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(tmp: Path, course: Path, exchange: Path, token: str | None = None) -> dict[str, str]:
    """Environment of a Jupyter/nbgrader process using deploy/local/, isolated from the user's
    own Jupyter configuration, runtime and settings directories."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    for name in ("config", "data", "runtime", "lab-settings", "lab-workspaces"):
        (tmp / "jupyter" / name).mkdir(parents=True, exist_ok=True)
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        JUPYTER_CONFIG_PATH=str(LOCAL_CONFIG),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter" / "config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter" / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter" / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "jupyter" / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "jupyter" / "lab-workspaces"),
        HEPCOURSE_COURSE_ROOT=str(course),
        HEPCOURSE_EXCHANGE=str(exchange),
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
    )
    if token:
        env["JUPYTER_TOKEN"] = token
    return env


def make_course_with_release(tmp: Path, lectures: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """A course directory (the repo's nbgrader_config.py, solutions/ASSIGNMENT and the given
    lecture notebooks, copied) whose assignment is generated and released into a fresh exchange
    with the deploy/local configuration. Returns (course, exchange)."""
    course, exchange = tmp / "course", tmp / "exchange"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    for lecture in lectures:
        (course / "lectures").mkdir(exist_ok=True)
        shutil.copy(ROOT / "lectures" / lecture, course / "lectures" / lecture)
    env = jupyter_env(tmp, course, exchange)
    for step in ("generate_assignment", "release_assignment"):
        cmd = [str(VENV_BIN / "nbgrader"), step, ASSIGNMENT]
        result = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    released = exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert released.exists(), (
        f"nbgrader release_assignment did not write {released}: deploy/local/nbgrader_config.py "
        "does not point the exchange at HEPCOURSE_EXCHANGE")
    return course, exchange


class CourseServer:
    """A JupyterLab server on 127.0.0.1 started with deploy/local/ for a course directory."""

    def __init__(self, tmp: Path, course: Path, exchange: Path, startup_timeout: float = 90):
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "jupyter-server.log"
        cmd = [str(VENV_BIN / "jupyter"), "lab", f"--port={self.port}", "--ServerApp.port_retries=0",
               "--no-browser"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=course, env=jupyter_env(tmp, course, exchange, self.token),
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_up(startup_timeout)
        except BaseException:
            self.stop()
            raise

    def log_tail(self, n: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-n:]

    def _wait_until_up(self, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if self.get("/api/status")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.25)
        raise AssertionError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")

    def get(self, path: str, timeout: float = 30) -> tuple[int, str, str]:
        """GET with the token; follows redirects; returns (status, final URL, body)."""
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.geturl(), resp.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            return err.code, err.geturl(), err.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # the server shuts its kernels down
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


@contextlib.contextmanager
def course_server(tmp: Path, course: Path, exchange: Path):
    server = CourseServer(tmp, course, exchange)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deploy-local")
    course, exchange = make_course_with_release(tmp)
    with course_server(tmp, course, exchange) as server:
        yield server


@pytest.mark.grading  # nbgrader releases the assignment, JupyterLab serves it
@pytest.mark.slow
def test_local_server_lists_the_released_assignment(local_server):
    status, _, body = local_server.get(f"/assignments?course_id={COURSE_ID}")
    assert status == 200, f"/assignments answered {status}:\n{body[:2000]}\n{local_server.log_tail()}"
    answer = json.loads(body)
    assert answer["success"], f"nbgrader's assignment list failed: {answer['value']}"
    released = [(a["course_id"], a["assignment_id"], a["status"]) for a in answer["value"]]
    assert (COURSE_ID, ASSIGNMENT, "released") in released, f"the assignment list shows {released}"
    status, _, body = local_server.get("/courses")
    assert status == 200 and json.loads(body)["value"] == [COURSE_ID], body


@pytest.mark.grading  # nbgrader releases the assignment, JupyterLab serves it
@pytest.mark.slow
def test_local_server_serves_the_formgrader_for_the_course(local_server):
    status, final_url, body = local_server.get("/formgrader")
    assert status == 200, f"/formgrader answered {status} ({final_url}):\n{body[:1000]}\n{local_server.log_tail()}"
    assert final_url.endswith("/formgrader/manage_assignments"), final_url
    # the formgrader found the course (root = the server's root_dir, from HEPCOURSE_COURSE_ROOT)
    status, _, body = local_server.get("/formgrader/api/assignments")
    assert status == 200, body[:1000]
    rows = {a["name"]: a for a in json.loads(body)}
    assert ASSIGNMENT in rows, f"formgrader lists {sorted(rows)}"
    assert rows[ASSIGNMENT]["source_path"] == f"solutions/{ASSIGNMENT}"
    assert rows[ASSIGNMENT]["status"] == "released"


@pytest.mark.grading  # nbgrader releases the assignment, JupyterLab serves it
@pytest.mark.slow
def test_local_server_root_is_the_course(local_server):
    status, _, body = local_server.get("/api/contents")
    assert status == 200, body[:1000]
    names = {item["name"] for item in json.loads(body)["content"]}
    assert {"nbgrader_config.py", "solutions", "exercises"} <= names, names


# ---- shared read-only data -------------------------------------------------------------------------

_READ_ONLY_PROBE = r"""
import os, sys
from hepcourse import config
from hepcourse.data import jets

root = os.path.realpath(config.data_dir())
tasks = jets.DATASET.profile_tasks(config.profile())
bad = [(jets.DATASET.task_label(t), s) for t in tasks if (s := jets.DATASET.task_status(t)) != "ok"]
if bad:
    print("NOT-PREPARED", bad[:3]); sys.exit(3)

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
def inside(path):
    try:
        return os.path.realpath(os.fsdecode(path)).startswith(root)
    except TypeError:
        return False  # a file descriptor
def hook(event, args):
    if event == "open" and inside(args[0]):
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and set(mode) & set("wax+")) or (isinstance(flags, int) and flags & WRITE_FLAGS):
            raise PermissionError(f"write to the shared data cache: {args[0]} ({mode!r}, {flags})")
    elif event in ("os.rename", "os.replace", "os.remove", "os.rmdir", "shutil.rmtree") and inside(args[0]):
        raise PermissionError(f"{event} in the shared data cache: {args[0]}")
sys.addaudithook(hook)

for split, n in (("train", config.profile().n_train), ("val", config.profile().n_val),
                 ("test", config.profile().n_test)):
    X, y = jets.load(n, representation="hlf", split=split)
    assert len(X) == n, (split, X.shape)
print("READ-ONLY-OK")
"""


@pytest.mark.data
@pytest.mark.slow
def test_prepared_quick_profile_data_load_without_writing():
    """deploy/README.md tells instructors to prepare the data once into a volume that students
    mount read-only: loading the whole quick profile from a prepared cache must write nothing
    there (no regeneration, no lock or temporary files). Writes are caught by an audit hook."""
    env = {**os.environ, "HEPCOURSE_PROFILE": "quick"}
    result = subprocess.run([sys.executable, "-c", _READ_ONLY_PROBE], env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode == 3:
        pytest.skip(f"the quick-profile data are not prepared here (run `make data`): {result.stdout.strip()}")
    assert result.returncode == 0 and "READ-ONLY-OK" in result.stdout, (
        f"loading the prepared data wrote to the cache (or failed):\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
