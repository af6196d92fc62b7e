"""Run a tool under the project's Python, whichever ``python`` started it.

Imported first by ``tools/train.py`` and ``tools/test.py`` (standard library
only, so it works where nothing else is installed). On a Python without
mmengine or sgmim, the tool is re-executed with the repository's
``.venv/bin/python`` (made by ``make install``) when it exists; otherwise it
stops with a one-line fix.
"""
import importlib.util
import os
import sys
from pathlib import Path

VENV = Path(__file__).resolve().parents[1] / '.venv'
REQUIRED = ('mmengine', 'sgmim')


def shown(path: Path) -> str:
    """``path`` relative to the working directory when under it, else
    absolute."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith('..') else relative


def missing_modules():
    """Names of ``REQUIRED`` this interpreter cannot import."""
    return [name for name in REQUIRED
            if importlib.util.find_spec(name) is None]


def ensure_project_python() -> None:
    """Return if this Python has what the tools need, else re-execute the
    tool with ``.venv/bin/python`` or exit with what to run."""
    missing = missing_modules()
    if not missing:
        return
    python = VENV / 'bin' / 'python'
    in_venv = Path(sys.prefix).resolve() == VENV.resolve()
    if python.exists() and not in_venv:
        print(f'{sys.argv[0]}: no {missing[0]} in {sys.executable}; '
              f'running with {python}', file=sys.stderr)
        os.execv(str(python), [str(python), *sys.argv])
    repo = shown(VENV.parent)
    install = 'make install' if repo == '.' else f'make -C {repo} install'
    if in_venv:
        sys.exit(f'{sys.argv[0]}: {python} has no {", ".join(missing)}: '
                 f'the install is incomplete, run `{install}`')
    sys.exit(f'{sys.argv[0]}: {sys.executable} has no {", ".join(missing)}; '
             f'run `{install}`, then `{shown(python)} {sys.argv[0]} ...` '
             f'(or `source {shown(VENV)}/bin/activate` first)')


ensure_project_python()
