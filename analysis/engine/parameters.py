"""The engine's fixed parameters, reported in every document's `parameters`: the engine
version, the confidence level, the number of bootstrap resamples and the rater-quality
thresholds."""

from analysis.stats import raters

ENGINE_VERSION = "1.2.0"  # bump when results can change
N_BOOTSTRAP = 2000
CI_LEVEL = 0.95
QUALITY = raters.QualityThresholds()
