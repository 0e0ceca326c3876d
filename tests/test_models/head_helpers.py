"""What the H3R head tests share: the codec, the feature width and samples with its targets."""

from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample

from h3r_mmpose.codecs import RandomizedRoundingHeatmap

# A non-square crop, so that swapped axes show.
CODEC = dict(type='RandomizedRoundingHeatmap', input_size=(64, 48), heatmap_size=(16, 12))
#: Channels of the features the test heads read.
CHANNELS = 8


def codec_samples(
    num_keypoints: int,
    batch_size: int = 2,
    weights: Optional[Sequence[Sequence[float]]] = None,
    flip_indices: Optional[List[int]] = None,
    seed: int = 0,
) -> List[PoseDataSample]:
    """Samples with :data:`CODEC` targets of random keypoints inside the crop.

    Args:
        num_keypoints (int): keypoints K per sample.
        batch_size (int): number of samples. Defaults to 2.
        weights (Sequence[Sequence[float]], optional): each sample's K keypoint weights, in
            place of the codec's.
        flip_indices (List[int], optional): the metainfo's ``flip_indices``. Defaults to the
            identity.
        seed (int): seed of the random keypoints. Defaults to 0.
    """
    rng = np.random.default_rng(seed)
    codec = RandomizedRoundingHeatmap(CODEC['input_size'], CODEC['heatmap_size'])
    width, height = CODEC['input_size']
    samples = []
    for index in range(batch_size):
        keypoints = rng.uniform([0, 0], [width - 1, height - 1], (1, num_keypoints, 2))
        encoded = codec.encode(keypoints)
        if weights is not None:
            encoded['keypoint_weights'] = np.asarray(weights[index], np.float32)[None]
        sample = PoseDataSample(
            metainfo=dict(
                flip_indices=flip_indices or list(range(num_keypoints)),
                input_size=CODEC['input_size'],
            )
        )
        sample.gt_fields = PixelData(heatmaps=torch.from_numpy(encoded['heatmaps']))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.from_numpy(encoded['keypoint_weights'])
        )
        samples.append(sample)
    return samples
