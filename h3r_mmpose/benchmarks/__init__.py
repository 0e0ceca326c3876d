"""The project's benchmarks, beside the plugin rather than inside it.

Nothing here is needed to train or test with H3R: ``import h3r_mmpose`` registers the
codec, head, losses, metrics and hook alone. Importing this subpackage also registers the
synthetic landmark dataset (``SyntheticLandmarkDataset``), so a benchmark config loads it
with::

    custom_imports = dict(imports=['h3r_mmpose.benchmarks'], allow_failed_imports=False)

The benchmarks themselves (``codec_benchmark``, ``training_benchmark``) and the leaderboard
tables (``leaderboard_tables``) are imported by the tools that run them.
"""

from .datasets import SyntheticLandmarkDataset, make_synthetic_landmarks

__all__ = ['SyntheticLandmarkDataset', 'make_synthetic_landmarks']
