"""The ABC-SMC proposal kernel: pyabc's multivariate normal, fitted on truncated weights.

pyabc fits each generation's proposal (a mixture of normals centred on the
last particles) with the particles' importance weights, both as mixture
weights and for the kernel's covariance. When those weights degenerate,
the weighted covariance is that of two or three particles: nearly singular
in 13 dimensions, so the next proposal is narrow in most directions, the
next weights (1 / proposal density) vary even more, and the loop feeds
itself. The 2010-2021 fit at 120 particles had effective sample sizes of
1.6-6.4 in every generation with pyabc's own kernel.

:class:`TruncatedWeightsTransition` fits the same kernel on the weights of
:func:`calibration.abc.importance_weights` (capped at mean × √N). The
proposal is still a proper density that pyabc both samples from and divides
by, so the importance weights stay correct; only where the next generation
looks changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc

from calibration.abc import importance_weights


class TruncatedWeightsTransition(pyabc.MultivariateNormalTransition):
    """A multivariate normal mixture kernel whose weights and covariance use truncated weights."""

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        super().fit(X, importance_weights(w))
