"""The deploy tests' models: tiny H3R networks built from the shipped configs."""

import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import Tensor
from utils import CONFIG_DIR, use_tiny_hrnet

#: A body and a face config, each at heatmap stride 4 and 16.
CONFIGS = {
    'coco-s4': 'body_2d_keypoint/coco/td-hm-h3r_hrnet-w32_8xb64-210e_coco-256x192.py',
    'coco-s16': 'body_2d_keypoint/coco/td-hm-h3r-stride16_hrnet-w32_8xb64-210e_coco-256x192.py',
    'wflw-s4': 'face_2d_keypoint/wflw/td-hm-h3r_hrnetv2-w18_8xb64-60e_wflw-256x256.py',
    'wflw-s16': 'face_2d_keypoint/wflw/td-hm-h3r-stride16_hrnetv2-w18_8xb64-60e_wflw-256x256.py',
}


def tiny_config(name: str) -> Config:
    """The shipped config ``name`` (a key of :data:`CONFIGS`) with a tiny HRNet."""
    return use_tiny_hrnet(Config.fromfile(str(CONFIG_DIR / CONFIGS[name])))


def random_crops(estimator, batch_size: int, seed: int = 0) -> Tensor:
    """Normalised crops of the model's input size with image-like, smooth content: random
    values on a grid 8x coarser than the crop, upsampled bilinearly. Shape (B, 3, h, w)."""
    width, height = estimator.head.decoder.input_size
    generator = torch.Generator().manual_seed(seed)
    coarse = 2 * torch.randn(batch_size, 3, height // 8, width // 8, generator=generator)
    return F.interpolate(coarse, size=(height, width), mode='bilinear', align_corners=False)


def sharpened(estimator, seed: int = 0, spatial_std: float = 3.0):
    """Rescale the final layer so that the random network's logits vary over each map with
    a standard deviation of ``spatial_std``, as a trained network's peaked maps do.

    A randomly initialised HRNet gives almost flat maps (a spatial standard deviation of
    0.005-0.1 logits), whose near-uniform probabilities would make every comparison
    between two runtimes hinge on ties. The weights are drawn from N(0, 1) with ``seed``
    and scaled on a calibration batch (:func:`random_crops` with another seed).
    """
    generator = torch.Generator().manual_seed(seed)
    final = estimator.head.final_layer
    with torch.no_grad():
        final.weight.copy_(torch.randn(final.weight.shape, generator=generator))
        calibration = random_crops(estimator, batch_size=2, seed=seed + 1000)
        logits = estimator.head.forward(estimator.extract_feat(calibration))
        final.weight.mul_(spatial_std / logits.flatten(2).std(dim=-1).mean())
    return estimator
