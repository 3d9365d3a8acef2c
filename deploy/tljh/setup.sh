#!/usr/bin/env bash
# Set up The Littlest JupyterHub (TLJH) for a class of this course. Run as root on the TLJH
# server, AFTER TLJH itself is installed (deploy/README.md, part A, step 1):
#
#   sudo COURSE_SRC=/path/to/checkout bash deploy/tljh/setup.sh      # from a checkout
#   sudo bash deploy/tljh/setup.sh                                   # same, from this script's checkout
#
# What it does (each step is idempotent; rerun it after changing a setting):
#   1. system packages: g++ (hls4ml compiles C++ in lecture 07), git
#   2. the course into TLJH's user environment (/opt/tljh/user), with the repository's pins
#   3. the nbgrader exchange /srv/nbgrader/exchange and /etc/jupyter/nbgrader_config.py
#   4. the quick-profile data, prepared ONCE into $DATA_DIR, read-only for the users
#   5. per-user limits, culling of idle servers and JupyterLab as the default interface
#      (tljh-config), the data path for every server and bigger limits for the instructors
#      (jupyterhub_config.d), the lectures in the home of every NEW user (/etc/skel)
#   6. tljh-config reload
#
# Settings (environment variables):
#   COURSE_SRC        the course checkout to install (default: the checkout holding this script)
#   DATA_DIR          shared data directory (default /srv/hepcourse-data)
#   MEM_LIMIT         memory limit per student (default 2G: the quick-profile notebooks peak at
#                     1.29 GB RSS, benchmarks/notebooks.py; the rest is the server and headroom)
#   CPU_LIMIT         CPU limit per student (default 2: the notebooks were timed on 2 cores)
#   INSTRUCTOR_MEMORY memory limit of admin users (default 8G: `hepcourse grade` with its
#                     default 2 workers x --memory 3G, plus the server)
#   INSTRUCTOR_CPU    CPU limit of admin users (default 4)
#   CULL_TIMEOUT_S    stop servers idle this long (default 3600)
#
# This script is checked by `bash -n` in tests/test_deploy.py; it is NOT run by the tests
# (that needs a TLJH server: systemd, root, network).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "error: run as root (sudo bash $0)" >&2
  exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COURSE_SRC="$(cd "${COURSE_SRC:-$here/../..}" && pwd)"
DATA_DIR="${DATA_DIR:-/srv/hepcourse-data}"
EXCHANGE=/srv/nbgrader/exchange    # must match deploy/tljh/nbgrader_config.py
MEM_LIMIT="${MEM_LIMIT:-2G}"
CPU_LIMIT="${CPU_LIMIT:-2}"
INSTRUCTOR_MEMORY="${INSTRUCTOR_MEMORY:-8G}"
INSTRUCTOR_CPU="${INSTRUCTOR_CPU:-4}"
CULL_TIMEOUT_S="${CULL_TIMEOUT_S:-3600}"

USER_ENV=/opt/tljh/user
TLJH_CONFIG="$(command -v tljh-config || echo /opt/tljh/hub/bin/tljh-config)"
if [ ! -x "$USER_ENV/bin/python" ] || [ ! -x "$TLJH_CONFIG" ]; then
  echo "error: TLJH is not installed here ($USER_ENV/bin/python or tljh-config missing)." >&2
  echo "  install it first: https://tljh.jupyter.org (deploy/README.md, part A, step 1)" >&2
  exit 1
fi
if [ ! -f "$COURSE_SRC/pyproject.toml" ] || [ ! -f "$COURSE_SRC/requirements.lock" ]; then
  echo "error: $COURSE_SRC is not a checkout of the course (set COURSE_SRC)" >&2
  exit 1
fi
echo "== course checkout: $COURSE_SRC"

# 1. system packages
echo "== 1. system packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends g++ git

# 2. the course in the users' environment, from the same lock as Binder and `make env`
#    (every package of the tree at an exact version, checked against its sha256)
echo "== 2. course into $USER_ENV"
"$USER_ENV/bin/python" -m pip install --no-cache-dir --require-hashes -r "$COURSE_SRC/requirements.lock"
# editable: the dataset cards in $COURSE_SRC/data (`hepcourse data info`) stay beside the package
"$USER_ENV/bin/python" -m pip install --no-cache-dir --no-deps -e "$COURSE_SRC"
"$USER_ENV/bin/python" -m pip check

# 3. nbgrader: a world-writable exchange (sticky, like /tmp) and the global config
echo "== 3. nbgrader exchange $EXCHANGE"
install -d -m 1777 "$EXCHANGE"
install -D -m 0644 "$here/nbgrader_config.py" /etc/jupyter/nbgrader_config.py

# 4. the data, once, then read-only for everybody but root
echo "== 4. quick-profile data into $DATA_DIR"
install -d -m 0755 "$DATA_DIR"
HEPCOURSE_DATA="$DATA_DIR" "$USER_ENV/bin/python" -m hepcourse data prepare --profile quick
HEPCOURSE_DATA="$DATA_DIR" "$USER_ENV/bin/python" -m hepcourse data verify
chown -R root:root "$DATA_DIR"
chmod -R u+rwX,go+rX,go-w "$DATA_DIR"

# 5. limits, culling, interface; environment and instructor limits; lectures for new users
echo "== 5. hub settings"
"$TLJH_CONFIG" set limits.memory "$MEM_LIMIT"
"$TLJH_CONFIG" set limits.cpu "$CPU_LIMIT"
"$TLJH_CONFIG" set services.cull.enabled true
"$TLJH_CONFIG" set services.cull.timeout "$CULL_TIMEOUT_S"
"$TLJH_CONFIG" set services.cull.every 300
"$TLJH_CONFIG" set user_environment.default_app jupyterlab

install -d -m 0755 /opt/tljh/config/jupyterhub_config.d
sed -e "s|@HEPCOURSE_DATA@|$DATA_DIR|" \
    -e "s|@INSTRUCTOR_MEMORY@|$INSTRUCTOR_MEMORY|" \
    -e "s|@INSTRUCTOR_CPU@|$INSTRUCTOR_CPU|" \
    "$here/jupyterhub_config_hepcourse.py" > /opt/tljh/config/jupyterhub_config.d/hepcourse.py

install -d -m 0755 /etc/skel/lectures
cp -r "$COURSE_SRC/lectures/." /etc/skel/lectures/

# 6. apply
echo "== 6. reload the hub"
"$TLJH_CONFIG" reload
"$TLJH_CONFIG" show

cat <<EOF
== done. Next (deploy/README.md, part C):
  * log in as the instructor (an admin user), open a terminal, clone the course into your home
    (git clone ... ~/hepcourse) and run the hepcourse release/collect/grade commands there;
  * students log in and use Nbgrader > Assignments to fetch and submit.
  Limits: students $MEM_LIMIT / $CPU_LIMIT CPU, admins $INSTRUCTOR_MEMORY / $INSTRUCTOR_CPU CPU;
  data: $DATA_DIR (read-only); exchange: $EXCHANGE.
EOF
