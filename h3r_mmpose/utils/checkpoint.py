"""Reloading MMEngine checkpoints on torch >= 2.6 without switching off ``weights_only``.

torch 2.6 made ``torch.load(weights_only=True)`` the default, and MMEngine 0.10.7 calls
``torch.load`` without the argument, so resuming, ``load_from`` and ``init_model`` with a
checkpoint fail on the few non-tensor objects MMEngine stores: the message hub's
``HistoryBuffer`` (with numpy arrays and scalars inside) and numpy arrays in the dataset
metainfo. Allow-listing exactly those keeps the safe unpickler for every file; any other
global in a pickle is still refused with torch's ``Weights only load failed`` error.

Two of the globals are builtins that would be unsafe in general, so each is mapped to a
function that does only what MMEngine's pickles need:

- ``builtins.getattr``: ``HistoryBuffer`` pickles its statistics methods as
  ``getattr(HistoryBuffer, name)`` (see :func:`history_buffer_statistic`).
- ``builtins.bytes``: ``torch.save`` writes pickle protocol 2, which stores an empty
  ``bytes`` object as the call ``bytes()``; the buffer of an empty numpy array is one. The
  metainfo of every dataset without a skeleton (all face datasets) holds such arrays
  (e.g. ``skeleton_link_colors``). Non-empty buffers go through ``_codecs.encode``, which
  torch allows already (see :func:`empty_bytes`).
"""

import pickle
from typing import Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer


def history_buffer_statistic(owner: type, name: str) -> Callable:
    """A ``getattr`` that resolves only ``HistoryBuffer``'s statistics methods.

    ``HistoryBuffer`` pickles its statistics methods (``min``, ``max``, ...) as
    ``getattr(HistoryBuffer, name)``. Allow-listing the builtin ``getattr`` would open every
    attribute of every allowed class, so the pickle's ``builtins.getattr`` is mapped here.

    Raises:
        pickle.UnpicklingError: for any other owner or attribute.
    """
    # The four built-in statistics are registered lazily, on the first HistoryBuffer().
    known = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in known:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({owner!r}, {name!r}) in a checkpoint: only HistoryBuffer '
        'statistics methods are allowed'
    )


def empty_bytes(*args, **kwargs) -> bytes:
    """A ``bytes`` constructor that builds only the empty ``bytes()``.

    Pickle protocol 2 writes ``b''`` as the call ``bytes()``. The builtin would also build
    ``bytes(n)``, n zero bytes of any size a crafted file asks for, so the pickle's
    ``builtins.bytes`` is mapped here.

    Raises:
        pickle.UnpicklingError: for any argument.
    """
    if args or kwargs:
        shown = ', '.join([*map(repr, args), *(f'{k}={v!r}' for k, v in kwargs.items())])
        raise pickle.UnpicklingError(
            f'Refusing bytes({shown[:80]}) in a checkpoint: only the empty bytes() is allowed'
        )
    return b''


def mmengine_checkpoint_globals() -> List[Union[object, Tuple[Callable, str]]]:
    """The non-tensor globals found in checkpoints written by MMEngine's Runner."""
    numpy_globals: List[object] = [
        np.ndarray,
        np.dtype,
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
    ]
    # numpy >= 1.25 pickles dtypes by their class (e.g. numpy.dtypes.Float64DType).
    numpy_globals += [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGUSO']
    return [
        HistoryBuffer,
        (history_buffer_statistic, 'builtins.getattr'),
        (empty_bytes, 'builtins.bytes'),
        *numpy_globals,
    ]


def allow_mmengine_checkpoints() -> None:
    """Allow-list MMEngine's checkpoint globals for ``torch.load(weights_only=True)``."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
