"""Default household counts: named once, read by every entry point.

A single run (``migsim run``, ``sim.run``, ``migsim bench``) defaults to
:data:`RUN_HOUSEHOLDS`: large enough that seed noise in national totals is
small. Anything that runs a model many times (ensembles, comparisons,
calibration, validation, attribution, the what-if page) defaults to
:data:`MEMBER_HOUSEHOLDS` per run: the calibration was fitted at this size
(``docs/calibration.md``), and members and seeds carry the noise instead.
"""

RUN_HOUSEHOLDS = 100_000
MEMBER_HOUSEHOLDS = 20_000
