"""Shared fixtures: the real sample data in ``../shared/data/mmpose_samples``."""

from pathlib import Path

import pytest

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
