"""Shared fixtures: the real sample data in ``../shared/data/mmpose_samples``, and MMPose's
registry scope on one torch thread."""

from pathlib import Path

import pytest
from mmengine.registry import init_default_scope
from utils import torch_threads

SAMPLES = Path(__file__).resolve().parents[1].parent / 'shared' / 'data' / 'mmpose_samples'


@pytest.fixture(scope='session')
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(
            f'sample data not found at {SAMPLES}: the tests read the real MMPose samples '
            '(COCO, MPII, WFLW, 300W, COFW, AFLW) from shared/data/mmpose_samples beside the '
            'repository'
        )
    return SAMPLES


@pytest.fixture(scope='module')
def mmpose_scope_on_one_thread():
    """MMPose's default registry scope, and torch on one thread (see :func:`torch_threads`),
    for a whole test module. A module asks for it with
    ``pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')``."""
    init_default_scope('mmpose')
    with torch_threads(1):
        yield


@pytest.fixture
def coco_sample(samples_dir) -> dict:
    """The first COCO instance with visible keypoints, loaded by the stock dataset class."""
    from mmpose.datasets import CocoDataset
    from mmpose.datasets.transforms import LoadImage

    dataset = CocoDataset(
        data_root=str(samples_dir / 'coco'),
        ann_file='test_coco.json',
        data_prefix=dict(img=''),
        pipeline=[LoadImage()],
        test_mode=False,
    )
    for index in range(len(dataset)):
        sample = dataset[index]
        if sample['keypoints_visible'].sum() > 0:
            return sample
    pytest.fail('no COCO sample with visible keypoints')
