"""Evaluation components (metrics) of sgmim."""
from .metrics import *  # noqa: F401,F403
