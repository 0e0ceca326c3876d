"""The rows of the training benchmark: how each codec trains (head, loss, target) and decodes.

==============================  ===========================================================
row                             training and decoding
==============================  ===========================================================
MSRAHeatmap, DARK, UDPHeatmap   ``HeatmapHead`` + ``KeypointMSELoss`` (Gaussian, sigma 2)
SimCC                           ``SimCCHead`` + ``KLDiscretLoss`` as RTMPose and the stock
                                SimCC configs ship it: 2 bins per input pixel, labels of
                                sigma 6 bins; its resolution does not depend on the stride
SimCC one bin per cell          the same with one bin per heatmap cell (``1/stride``): an
                                ablation row, not a form anyone ships
H3R rows (:data:`H3R_ROWS`)     ``H3RHead``; target, loss, schedule and decoder per row
==============================  ===========================================================

Rows that train the same way and differ only in the decoder share one training run
(:func:`training_key`); the decoder rows (:data:`DECODER_ROWS`) test the trained network of
``H3R (ours)`` with other decoders.
"""

import json
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from ..codecs.utils import exact_mean_shift_radius
from .training_networks import (
    check_backbone_stride,
    feature_channels,
    feature_map_size,
    heatmap_head,
)

OURS = 'H3R (ours)'
SIMCC = 'SimCC'
SIMCC_PER_CELL = 'SimCC one bin per cell'
PEERS = ('MSRAHeatmap', 'DARK', 'UDPHeatmap', SIMCC)
#: Bins per input pixel of the stock SimCC configs (RTMPose, ``simcc_*`` configs).
SIMCC_STOCK_SPLIT = 2.0
#: Label width of the stock SimCC configs in bins at that split: 3 input pixels.
SIMCC_STOCK_SIGMA = 6.0

CROSS_ENTROPY = dict(type='HeatmapCrossEntropyLoss')
BINARY = dict(type='HeatmapBinaryCrossEntropyLoss')


@dataclass(frozen=True)
class H3RRow:
    """How one H3R row trains and decodes.

    Attributes:
        target_type (str): the codec's ``target_type``.
        loss (dict): the head's loss config.
        annealing (dict, optional): a ``TargetSigmaAnnealingHook`` config.
        decoder (dict): the codec's decoding arguments.
    """

    target_type: str = 'expected'
    loss: dict = field(default_factory=lambda: dict(CROSS_ENTROPY))
    annealing: Optional[dict] = None
    decoder: dict = field(default_factory=dict)

    def training_key(self) -> str:
        """Rows with equal keys share one training run."""
        return json.dumps([self.target_type, self.loss, self.annealing], sort_keys=True)


#: The target schedule of the ablation: sigma 2 -> 0.5 at 3/4 of the iterations.
ANNEALED = dict(type='TargetSigmaAnnealingHook', start_sigma=2.0)
#: Radii of the mean-shift decoder rows.
MEAN_SHIFT_RADII = (1.5, 2.0, 2.5, 3.0, 3.5)
#: Decoder-only rows: the network of ``H3R (ours)``, decoded otherwise (no extra training).
DECODER_ROWS: Dict[str, H3RRow] = {
    **{
        f'H3R mean shift r{radius}': H3RRow(decoder=dict(decoder='mean_shift', radius=radius))
        for radius in MEAN_SHIFT_RADII
    },
    'H3R CE, top-4 (v0.1)': H3RRow(decoder=dict(decoder='topk', topk=4)),
    'H3R CE, paper top-9': H3RRow(decoder=dict(decoder='paper', topk=9)),
}
#: Every H3R form the benchmark can train; ``OURS`` is what the shipped configs use: the
#: expected target, the grid cross-entropy and the codec's default decoder, no schedule.
H3R_ROWS: Dict[str, H3RRow] = {
    OURS: H3RRow(),
    **DECODER_ROWS,
    'H3R annealed, mean shift': H3RRow(
        annealing=ANNEALED, decoder=dict(decoder='mean_shift', radius=3.5)
    ),
    'H3R annealed, top-4': H3RRow(annealing=ANNEALED, decoder=dict(decoder='topk', topk=4)),
    'H3R annealed to 0, mean shift': H3RRow(
        annealing=dict(ANNEALED, end_sigma=0.0, end_fraction=1.0),
        decoder=dict(decoder='mean_shift', radius=3.5),
    ),
    'H3R Gaussian s1, mean shift': H3RRow(
        loss=dict(CROSS_ENTROPY, target_sigma=1.0),
        decoder=dict(decoder='mean_shift', radius=exact_mean_shift_radius(1.0)),
    ),
    'H3R paper (binary, one-hot, top-9)': H3RRow(
        target_type='stochastic', loss=BINARY, decoder=dict(decoder='paper', topk=9)
    ),
    'H3R binary one-hot, mean shift': H3RRow(
        target_type='stochastic', loss=BINARY, decoder=dict(decoder='mean_shift', radius=3.5)
    ),
}
#: Rows of the default run: ours and the peers. The other rows are the ablation.
DEFAULT_ROWS = PEERS + (OURS,)
ALL_ROWS = PEERS + tuple(H3R_ROWS) + (SIMCC_PER_CELL,)


def check_row(row: str) -> None:
    """Raise ValueError for a row the benchmark does not know."""
    if row not in ALL_ROWS:
        raise ValueError(f'row must be one of {ALL_ROWS}, got {row!r}')


def stride_free(row: str) -> bool:
    """Whether the row's network and codec do not depend on the heatmap stride (stock SimCC:
    its bins are tied to input pixels and its head reads the backbone's features)."""
    return row == SIMCC


def training_key(row: str, stride: int) -> str:
    """Runs with equal keys train the same network: H3R rows that differ only in the
    decoder, and a stride-free row at every stride."""
    check_row(row)
    trained = H3R_ROWS[row].training_key() if row in H3R_ROWS else row
    return json.dumps([trained, None if stride_free(row) else stride])


def flip_test_cfg(row: str) -> dict:
    """The head's ``test_cfg`` with flip testing as the stock configs of the row's codec set
    it: MSRA and DARK shift the flipped heatmap by one cell, UDP and H3R do not (their grids
    are mirror-symmetric), SimCC flips its vectors."""
    check_row(row)
    if row in (SIMCC, SIMCC_PER_CELL):
        return dict(flip_test=True)
    shift = row in ('MSRAHeatmap', 'DARK')
    return dict(flip_test=True, flip_mode='heatmap', shift_heatmap=shift)


def _simcc(
    split_ratio: float, sigma: float, input_size: Tuple[int, int], num_keypoints: int, backbone: str
) -> Tuple[dict, dict]:
    codec = dict(
        type='SimCCLabel',
        input_size=input_size,
        smoothing_type='gaussian',
        sigma=sigma,
        simcc_split_ratio=split_ratio,
    )
    head = dict(
        type='SimCCHead',
        in_channels=feature_channels(backbone),
        out_channels=num_keypoints,
        input_size=input_size,
        in_featuremap_size=feature_map_size(backbone, input_size),
        simcc_split_ratio=split_ratio,
        deconv_out_channels=None,
        loss=dict(type='KLDiscretLoss', use_target_weight=True),
        decoder=codec,
    )
    return codec, head


def codec_and_head(
    row: str, stride: int, input_size: Tuple[int, int], num_keypoints: int, backbone: str = 'resnet'
) -> Tuple[dict, dict]:
    """The codec config and the head config that trains it, for one heatmap stride.

    Raises:
        ValueError: for an unknown row or backbone, or a stride the backbone's stock head
            cannot produce (HRNet's features are at 1/4).
    """
    check_backbone_stride(backbone, stride)
    check_row(row)
    heatmap_size = (input_size[0] // stride, input_size[1] // stride)
    sizes = dict(input_size=input_size, heatmap_size=heatmap_size)
    layers = heatmap_head(backbone, stride, num_keypoints)
    mse = dict(type='KeypointMSELoss', use_target_weight=True)
    if row in ('MSRAHeatmap', 'DARK'):
        codec = dict(type='MSRAHeatmap', sigma=2, unbiased=row == 'DARK', **sizes)
        return codec, dict(type='HeatmapHead', loss=mse, decoder=codec, **layers)
    if row == 'UDPHeatmap':
        codec = dict(type='UDPHeatmap', sigma=2, **sizes)
        return codec, dict(type='HeatmapHead', loss=mse, decoder=codec, **layers)
    if row == SIMCC:
        return _simcc(SIMCC_STOCK_SPLIT, SIMCC_STOCK_SIGMA, input_size, num_keypoints, backbone)
    if row == SIMCC_PER_CELL:
        # The stock label width, 3 input pixels, in bins of one heatmap cell.
        split_ratio = 1 / stride
        sigma = SIMCC_STOCK_SIGMA / SIMCC_STOCK_SPLIT * split_ratio
        return _simcc(split_ratio, sigma, input_size, num_keypoints, backbone)
    form = H3R_ROWS[row]
    codec = dict(
        type='RandomizedRoundingHeatmap', target_type=form.target_type, **sizes, **form.decoder
    )
    return codec, dict(type='H3RHead', loss=dict(form.loss), decoder=codec, **layers)


def run_name(row: str) -> str:
    """A file-system friendly name: 'H3R CE, top-4 (v0.1)' -> 'H3R_CE_top-4_v0.1'."""
    kept = ''.join(c if c.isalnum() or c in '-.' else '_' for c in row.replace(' (ours)', ''))
    return '_'.join(part for part in kept.split('_') if part)
