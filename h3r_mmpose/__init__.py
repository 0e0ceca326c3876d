"""H3R for MMPose: heatmap regression via randomized rounding.

Importing this package registers its codec, head, losses, metrics and hook into MMPose's
registries, so a config needs only::

    custom_imports = dict(imports=['h3r_mmpose'], allow_failed_imports=False)

The benchmarks and their synthetic dataset live in :mod:`h3r_mmpose.benchmarks`, which this
import leaves alone.
"""

from . import codecs, engine, evaluation, models  # noqa: F401  (registration)
from .utils import allow_mmengine_checkpoints
from .version import __version__

allow_mmengine_checkpoints()

__all__ = ['__version__']
