#!/usr/bin/env bash
# Create or update the project's virtual environment (idempotent).
#
#   tools/install/install_env.sh [VENV]     (default: .venv)
#
# Environment: PYTHON (interpreter for a new venv, default python3),
# SGMIM_CACHE (wheel cache, default ${XDG_CACHE_HOME:-~/.cache}/sgmim).
# mmcv 2.1.0 has no wheel for this torch, so it is compiled once with ops
# (CUDA ops when nvcc and a GPU are present) and cached keyed by the Python,
# torch and CUDA versions; pip's own cache keys on the sdist only and would
# hand back a wheel built against another torch.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
CACHE=${SGMIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sgmim}

log() { echo "[install_env] $*"; }

if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV with $($PYTHON --version)"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --quiet --progress-bar off -c constraints.txt)

log "build tools and torch"
"${PIP[@]}" "setuptools>=77.0.3,<81" wheel
"${PIP[@]}" -r requirements/torch.txt

if ! "$PY" -c "import mmcv.ops" >/dev/null 2>&1; then
    if command -v nvcc >/dev/null 2>&1 && command -v nvidia-smi >/dev/null 2>&1 \
        && nvidia-smi -L >/dev/null 2>&1; then
        OPS=cuda; export FORCE_CUDA=1
    else
        OPS=cpu; export FORCE_CUDA=0
    fi
    KEY=$("$PY" -c "import sys, torch; print(f'py{sys.version_info[0]}{sys.version_info[1]}-torch{torch.__version__}')")-$OPS
    WHEEL_DIR="$CACHE/wheels/mmcv-2.1.0-$KEY"
    if ! ls "$WHEEL_DIR"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
        log "building mmcv 2.1.0 with $OPS ops for $KEY (about 10 minutes on 2 cores)"
        BUILD=$(mktemp -d)
        trap 'rm -rf "$BUILD"' EXIT
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip wheel --quiet \
            --no-deps --no-build-isolation --no-cache-dir -w "$BUILD" mmcv==2.1.0
        mkdir -p "$(dirname "$WHEEL_DIR")"
        TMP_DIR="$WHEEL_DIR.tmp.$$"
        mkdir "$TMP_DIR" && mv "$BUILD"/mmcv-2.1.0-*.whl "$TMP_DIR"/
        mv -T "$TMP_DIR" "$WHEEL_DIR" 2>/dev/null || rm -rf "$TMP_DIR"
    else
        log "using cached mmcv wheel $WHEEL_DIR"
    fi
    "$PY" -m pip install --quiet --no-deps "$WHEEL_DIR"/mmcv-2.1.0-*.whl
fi

log "OpenMMLab stack and runtime requirements"
"${PIP[@]}" -r requirements/mminstall.txt -r requirements/runtime.txt \
    -r requirements/tests.txt
log "sgmim (editable)"
"${PIP[@]}" --no-deps --no-build-isolation -e .
"$PY" -c "import sgmim, mmcv.ops, mmseg.models, mmdet.models; print('[install_env] ok: sgmim', sgmim.__version__)"
