"""Reloading MMEngine checkpoints on torch >= 2.6 without switching off ``weights_only``.

torch 2.6 made ``torch.load(weights_only=True)`` the default, and MMEngine 0.10.7 calls
``torch.load`` without the argument, so resuming, ``load_from`` and ``init_model`` with a
checkpoint fail on the few non-tensor types MMEngine stores (its log history buffers and the
numpy arrays inside them). Allow-listing exactly those types keeps the safe unpickler for
every file: anything else in a pickle is still refused.
"""
from typing import List

import numpy as np
import torch


def _mmengine_checkpoint_globals() -> List[object]:
    """The non-tensor types found in checkpoints written by MMEngine's Runner."""
    from mmengine.logging.history_buffer import HistoryBuffer

    numpy_types: List[object] = [np.ndarray, np.dtype, np.core.multiarray._reconstruct,
                                 np.core.multiarray.scalar]
    # numpy >= 1.25 pickles dtypes by their class (e.g. numpy.dtypes.Float64DType).
    numpy_types += [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGUSO']
    return [HistoryBuffer, *numpy_types]


def allow_mmengine_checkpoints() -> None:
    """Allow-list MMEngine's checkpoint types for ``torch.load(weights_only=True)``."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(_mmengine_checkpoint_globals())
