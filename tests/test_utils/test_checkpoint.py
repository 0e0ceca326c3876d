"""Loading mmengine checkpoints under torch >= 2.6's weights-only unpickler: what stays
refused."""

import pickle

import pytest
import torch


class Untrusted:
    """Stands for arbitrary code a malicious pickle could run on load."""

    def __reduce__(self):
        return (print, ('this must never run',))


def test_untrusted_pickle_is_still_refused(tmp_path):
    from mmengine.runner import load_checkpoint

    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': Untrusted()}, path)
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        torch.load(path)
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        load_checkpoint(torch.nn.Linear(1, 1), str(path))


def test_only_history_buffer_statistics_resolve_through_getattr():
    from mmengine.logging.history_buffer import HistoryBuffer

    from h3r_mmpose.utils.checkpoint import history_buffer_statistic

    assert history_buffer_statistic(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError, match=r"getattr\(.*'__init__'\)"):
        history_buffer_statistic(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        history_buffer_statistic(torch.Tensor, 'mean')
