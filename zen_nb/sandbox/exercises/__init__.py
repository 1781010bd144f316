"""The exercises' checks and material, evaluated in the sandbox on one tenant's own rows.

- ``verdict``: what a check answers (:class:`~.verdict.Verdict`) and what a prepare did;
- ``target_rule``, ``flow_rules``: the checks of the exercises that start from the seed;
- ``material``: an exercise's starting flows, found by name, put back when missing;
- ``failing_flow``, ``slack_flows``: the two exercises with material, each its material and check;
- ``registry``: every exercise of ``zen_nb.exercise_catalog`` with its rule: :func:`check`, :func:`prepare`.

The HTTP side is ``routes_exercises.py``; every SQL statement is in ``data/`` (``exercise_reads``,
``activity``).
"""

from __future__ import annotations

from .registry import MaterialUnavailable, check, prepare
from .verdict import Preparation, Verdict

__all__ = ["MaterialUnavailable", "Preparation", "Verdict", "check", "prepare"]
