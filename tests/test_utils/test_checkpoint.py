"""MMEngine checkpoints of every dataset reload with torch's safe unpickler
(``weights_only=True``), and everything else stays refused."""

import pickle
import pickletools
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpose.registry import DATASETS
from utils import CONFIG_DIR, use_samples

import h3r_mmpose  # noqa: F401  (allow-lists MMEngine's checkpoint globals)
from h3r_mmpose.utils.checkpoint import empty_bytes

#: A shipped config of each dataset, whose training set the metainfo is read from.
DATASET_CONFIGS = {
    'coco': 'body_2d_keypoint/coco/td-hm-h3r_hrnet-w32_8xb64-210e_coco-256x192.py',
    'mpii': 'body_2d_keypoint/mpii/td-hm-h3r_hrnet-w32_8xb64-210e_mpii-256x256.py',
    **{
        face: f'face_2d_keypoint/{face}/td-hm-h3r_hrnetv2-w18_8xb64-60e_{face}-256x256.py'
        for face in ('wflw', '300w', 'cofw', 'aflw')
    },
}
FACES = ('wflw', '300w', 'cofw', 'aflw')


def dataset_metainfo(name: str, samples_dir: Path) -> dict:
    """The metainfo of the stock dataset class, loaded on the samples as in training."""
    init_default_scope('mmpose')
    cfg = use_samples(Config.fromfile(str(CONFIG_DIR / DATASET_CONFIGS[name])), samples_dir, name)
    return DATASETS.build(cfg.train_dataloader.dataset).metainfo


def save_like_the_runner(path: Path, metainfo: dict) -> None:
    """What MMEngine's CheckpointHook stores besides tensors: the dataset metainfo and the
    message hub with its HistoryBuffers (numpy scalars and arrays, statistics methods)."""
    message_hub = MessageHub(f'checkpoint_test_{path.stem}')
    for value in (0.5, 0.25):
        message_hub.update_scalar('train/loss', value)
    message_hub.update_info('iter', 2)
    checkpoint = dict(
        meta=dict(dataset_meta=metainfo, iter=2),
        state_dict={'head.weight': torch.ones(2, 3)},
        message_hub=message_hub.state_dict(),
    )
    torch.save(checkpoint, path)


def pickled_globals(path: Path) -> set:
    """The globals (``module.name``) a ``torch.save`` file's pickle refers to."""
    with zipfile.ZipFile(path) as archive:
        (name,) = [name for name in archive.namelist() if name.endswith('data.pkl')]
        stream = archive.read(name)
    # Protocol 2 writes Python 3 builtins under their Python 2 module name.
    return {
        arg.replace('__builtin__ ', 'builtins ').replace(' ', '.')
        for opcode, arg, _ in pickletools.genops(stream)
        if opcode.name == 'GLOBAL'
    }


@pytest.mark.parametrize('name', list(DATASET_CONFIGS))
def test_checkpoint_of_each_dataset_reloads_with_weights_only(name, samples_dir, tmp_path):
    metainfo = dataset_metainfo(name, samples_dir)
    path = tmp_path / f'{name}.pth'
    save_like_the_runner(path, metainfo)
    # Datasets without a skeleton hold empty arrays, which protocol 2 writes as bytes().
    has_empty_array = any(
        isinstance(value, np.ndarray) and value.size == 0 for value in metainfo.values()
    )
    assert has_empty_array == (name in FACES)
    assert ('builtins.bytes' in pickled_globals(path)) == (name in FACES)

    loaded = torch.load(path, weights_only=True)
    assert set(loaded['meta']['dataset_meta']) == set(metainfo)
    for key, value in metainfo.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(loaded['meta']['dataset_meta'][key], value)
            assert loaded['meta']['dataset_meta'][key].dtype == value.dtype
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert buffer.mean() == pytest.approx(0.375)
    # MMEngine's own loader (resume, load_from, init_model) calls torch.load without the
    # argument, i.e. with torch's default weights_only=True.
    model = torch.nn.Module()
    model.head = torch.nn.Module()
    model.head.weight = torch.nn.Parameter(torch.zeros(2, 3))
    load_checkpoint(model, str(path))
    torch.testing.assert_close(model.head.weight.data, torch.ones(2, 3))


def test_only_the_empty_bytes_are_built():
    assert empty_bytes() == b''
    for args, kwargs in [((10**9,), {}), ((b'abc',), {}), (('abc', 'latin1'), {})]:
        with pytest.raises(pickle.UnpicklingError, match=r'Refusing bytes\(.*only the empty'):
            empty_bytes(*args, **kwargs)
    with pytest.raises(pickle.UnpicklingError, match='Refusing bytes'):
        empty_bytes(source='x')


class Untrusted:
    """Stands for arbitrary code a malicious pickle could run on load."""

    def __reduce__(self):
        return (print, ('this must never run',))


class HugeBytes:
    """A pickle that asks for a gigabyte of zero bytes on load."""

    def __reduce__(self):
        return (bytes, (10**9,))


class SystemCall:
    """A pickle that would run a command on load."""

    def __reduce__(self):
        import os

        return (os.system, ('echo this must never run',))


class Eval:
    """A builtin that is not on the list, next to the allowed bytes."""

    def __reduce__(self):
        return (eval, ('1 + 1',))


@pytest.mark.parametrize(
    'payload, message',
    [
        (Untrusted(), 'print'),
        (HugeBytes(), r'Refusing bytes\(1000000000\)'),
        (SystemCall(), 'system'),
        (Eval(), 'eval'),
    ],
    ids=['print', 'bytes(n)', 'os.system', 'eval'],
)
def test_anything_else_is_still_refused(payload, message, tmp_path):
    path = tmp_path / 'untrusted.pth'
    torch.save({'state_dict': {}, 'payload': payload}, path)
    for load in (
        lambda: torch.load(path),
        lambda: load_checkpoint(torch.nn.Linear(1, 1), str(path)),
    ):
        with pytest.raises(pickle.UnpicklingError, match='Weights only load failed') as error:
            load()
        assert error.match(message)


def test_only_history_buffer_statistics_resolve_through_getattr():
    from mmengine.logging.history_buffer import HistoryBuffer

    from h3r_mmpose.utils.checkpoint import history_buffer_statistic

    assert history_buffer_statistic(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError, match=r"getattr\(.*'__init__'\)"):
        history_buffer_statistic(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        history_buffer_statistic(torch.Tensor, 'mean')
