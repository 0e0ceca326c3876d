"""The synthetic landmark dataset class, which MMPose's stock top-down pipeline reads.

:class:`SyntheticLandmarkDataset` reads the files that
:func:`~.synthetic_landmarks_writer.make_synthetic_landmarks` writes and builds the metainfo
for the K keypoints of its annotation file (why: :mod:`.synthetic_landmarks_info`), so
configs pass no ``metainfo``. The crop is the identity, as sub-pixel comparisons need, only
with ``GetBBoxCenterScale(padding=1.0)`` (the default 1.25 shrinks the image into the input)
and ``TopdownAffine(input_size=(W, H))`` without UDP::

    custom_imports = dict(imports=['h3r_mmpose.benchmarks'], allow_failed_imports=False)
    dataset = dict(
        type='SyntheticLandmarkDataset',
        data_root='data/synthetic_landmarks/',
        data_mode='topdown',
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=[
            dict(type='LoadImage'),
            dict(type='GetBBoxCenterScale', padding=1.0),
            dict(type='TopdownAffine', input_size=(128, 128)),
            dict(type='GenerateTarget', encoder=codec),
            dict(type='PackPoseInputs'),
        ])
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from mmengine.fileio import join_path, load
from mmengine.utils import is_abs
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from .synthetic_landmarks_info import synthetic_landmarks_metainfo


def count_annotated_keypoints(ann_file: str) -> int:
    """Number of keypoints K that a COCO keypoint file's category names."""
    categories = load(ann_file)['categories']
    if len(categories) != 1:
        raise ValueError(
            f'ann_file must have exactly one category, {ann_file!r} has {len(categories)}'
        )
    return len(categories[0]['keypoints'])


@DATASETS.register_module()
class SyntheticLandmarkDataset(BaseCocoStyleDataset):
    """Synthetic landmarks written by :func:`make_synthetic_landmarks`.

    A ``BaseCocoStyleDataset`` with two differences:

    - ``metainfo`` defaults to the metainfo for the K keypoints of
      ``ann_file``;
    - boxes are not clipped to ``[0, W - 1]``: that stock clip turns the
      whole-image box ``[0, 0, W, H]`` into ``[0, 0, W - 1, H - 1]``, and
      ``TopdownAffine`` would then map x to
      ``(x - (W - 1) / 2) * W / (W - 1) + W / 2``, moving keypoints by 0 to
      1 px, the very size of error this dataset measures.

    Args:
        ann_file (str): COCO keypoint annotation file, relative to
            ``data_root`` unless absolute.
        metainfo (dict, optional): Explicit metainfo, e.g.
            ``dict(from_file=...)``; it must describe K keypoints. Defaults to
            ``synthetic_landmarks_metainfo(K)``.
        data_root (str, optional): Root of ``ann_file`` and ``data_prefix``.
        **kwargs: Passed to ``BaseCocoStyleDataset`` (``data_mode``,
            ``data_prefix``, ``pipeline``, ``test_mode``, ...).
    """

    def __init__(
        self,
        ann_file: str = '',
        metainfo: Optional[dict] = None,
        data_root: Optional[str] = None,
        **kwargs,
    ) -> None:
        # BaseDataset joins data_root too, but only after loading metainfo.
        path = ann_file
        if data_root and not is_abs(ann_file):
            path = join_path(data_root, ann_file)
        num_keypoints = count_annotated_keypoints(path)
        if metainfo is None:
            metainfo = synthetic_landmarks_metainfo(num_keypoints)
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root, **kwargs)
        if self.metainfo['num_keypoints'] != num_keypoints:
            raise ValueError(
                f'metainfo must describe the {num_keypoints} keypoints of '
                f'{path!r}, got {self.metainfo["num_keypoints"]}'
            )

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        """Parse one instance like the base class, but keep its box unclipped.

        Args:
            raw_data_info (dict): ``raw_ann_info`` and ``raw_img_info`` of one
                instance.

        Returns:
            dict | None: The instance's data info, with ``bbox`` of shape
            (1, 4) as ``[x1, y1, x2, y2]``; None for an instance without box
            or keypoints.
        """
        data_info = super().parse_data_info(raw_data_info)
        if data_info is not None:
            x, y, w, h = raw_data_info['raw_ann_info']['bbox']
            data_info['bbox'] = np.array([[x, y, x + w, y + h]], dtype=np.float32)
        return data_info
