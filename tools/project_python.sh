# Sourced by the launchers (dist_*.sh, slurm_*.sh): PYTHON, when unset,
# becomes the repository's .venv/bin/python (made by `make install`) if it
# exists, else `python` from PATH.
if [ -z "${PYTHON:-}" ]; then
    PYTHON="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/python"
    [ -x "$PYTHON" ] || PYTHON=python
fi
