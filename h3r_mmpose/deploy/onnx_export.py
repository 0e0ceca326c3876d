"""Export a top-down H3R model to one ONNX graph that returns keypoints.

The graph takes the crop that MMPose's test pipeline makes (``GetBBoxCenterScale`` then
``TopdownAffine``), normalised as the config's data preprocessor does (MMDeploy's
convention), and returns keypoints in crop pixels with their scores. Everything a runtime
needs to make that crop and map the keypoints back to the image is stored in the model's
``metadata_props`` (see :func:`deploy_metadata`), so a deployment needs the ONNX file only.
"""

import json
import warnings
from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np
import onnx
import torch
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.models.pose_estimators import TopdownPoseEstimator

from ..version import __version__
from .end_to_end_model import EndToEndKeypointModel
from .portability import MIN_OPSET

INPUT_NAME = 'input'
OUTPUT_NAMES = ('keypoints', 'scores')
#: TensorRT 8.2's parser reads opsets up to 13; ONNX Runtime reads them all.
DEFAULT_OPSET = 13


def load_estimator(
    config: Union[str, Path, Config], checkpoint: Optional[str] = None
) -> TopdownPoseEstimator:
    """Build the config's model on the CPU, as MMPose's ``init_model`` does.

    Without a checkpoint the weights stay randomly initialised (no pretrained download);
    the dataset metainfo then comes from the config.
    """
    return init_model(config if isinstance(config, Config) else str(config), checkpoint, 'cpu')


def _test_pipeline_step(cfg: Config, step_type: str) -> dict:
    pipeline = cfg.test_dataloader.dataset.pipeline
    steps = [step for step in pipeline if step['type'] == step_type]
    if len(steps) != 1:
        raise ValueError(
            f'the test pipeline must have exactly one {step_type} to export its crop, got '
            f'{[step["type"] for step in pipeline]}'
        )
    return steps[0]


def crop_settings(cfg: Config) -> Dict[str, object]:
    """How the config's test pipeline and data preprocessor turn a box into the input.

    Returns:
        dict: ``input_size`` [w, h], ``bbox_padding`` (``GetBBoxCenterScale``'s factor),
        ``mean`` and ``std`` (3 floats each, in the model's channel order) and
        ``bgr_to_rgb`` (whether a BGR image such as OpenCV's must be reordered first).

    Raises:
        ValueError: if ``TopdownAffine`` uses UDP (its warp differs) or a step is missing.
    """
    affine = _test_pipeline_step(cfg, 'TopdownAffine')
    if affine.get('use_udp', False):
        raise ValueError(
            'TopdownAffine use_udp must be False to export: the H3R codec uses the plain '
            'affine, got use_udp=True'
        )
    center_scale = _test_pipeline_step(cfg, 'GetBBoxCenterScale')
    preprocessor = cfg.model.get('data_preprocessor', {}) or {}
    mean = preprocessor.get('mean') or (0.0, 0.0, 0.0)
    std = preprocessor.get('std') or (1.0, 1.0, 1.0)
    return dict(
        input_size=[int(v) for v in affine['input_size']],
        bbox_padding=float(center_scale.get('padding', 1.25)),
        mean=[float(v) for v in mean],
        std=[float(v) for v in std],
        bgr_to_rgb=bool(preprocessor.get('bgr_to_rgb', False)),
    )


def _jsonable(value):
    """Dataset metainfo as JSON: arrays become (nested) lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def deploy_metadata(estimator: TopdownPoseEstimator, flip_test: bool) -> Dict[str, str]:
    """The ``metadata_props`` stored in the exported model, every value a JSON string.

    Keys: the :func:`crop_settings` (``input_size``, ``bbox_padding``, ``mean``, ``std``,
    ``bgr_to_rgb``), ``flip_test``, ``heatmap_size``, ``dataset_name``, ``keypoint_names``
    (K strings), ``skeleton_links`` (index pairs) and ``keypoint_colors`` (K RGB triples)
    for drawing, and ``h3r_mmpose_version``.
    """
    cfg = estimator.cfg
    meta = estimator.dataset_meta or {}
    num_keypoints = estimator.head.out_channels
    names = meta.get('keypoint_id2name') or {}
    settings = crop_settings(cfg)
    if tuple(settings['input_size']) != tuple(estimator.head.decoder.input_size):
        raise ValueError(
            f'TopdownAffine input_size {settings["input_size"]} differs from the codec '
            f'input_size {estimator.head.decoder.input_size}'
        )
    metadata = dict(
        settings,
        flip_test=bool(flip_test),
        heatmap_size=list(estimator.head.decoder.heatmap_size),
        dataset_name=meta.get('dataset_name', ''),
        keypoint_names=[names.get(index, str(index)) for index in range(num_keypoints)],
        skeleton_links=_jsonable(meta.get('skeleton_links', [])),
        keypoint_colors=_jsonable(meta.get('keypoint_colors', np.zeros((0, 3)))),
        h3r_mmpose_version=__version__,
    )
    return {key: json.dumps(value) for key, value in metadata.items()}


def end_to_end_model(estimator: TopdownPoseEstimator, flip_test: bool) -> EndToEndKeypointModel:
    """Wrap ``estimator`` for export, with the flip test of its dataset if asked.

    Raises:
        ValueError: for a flip test the model's ``test_cfg`` would not run exactly (a
            ``flip_mode`` other than ``'heatmap'`` or ``shift_heatmap=True``, which the
            codec's mirror-symmetric grid does not need), or without ``flip_indices``.
    """
    if not flip_test:
        return EndToEndKeypointModel(estimator)
    test_cfg = estimator.test_cfg or {}
    if test_cfg.get('flip_mode', 'heatmap') != 'heatmap' or test_cfg.get('shift_heatmap', False):
        raise ValueError(
            'flip_test export needs test_cfg flip_mode="heatmap" and shift_heatmap=False, got '
            f'flip_mode={test_cfg.get("flip_mode")!r}, '
            f'shift_heatmap={test_cfg.get("shift_heatmap")!r}'
        )
    flip_indices = (estimator.dataset_meta or {}).get('flip_indices')
    if flip_indices is None:
        raise ValueError('flip_test export needs flip_indices in the dataset metainfo, got None')
    return EndToEndKeypointModel(estimator, flip_indices)


def export_onnx(
    estimator: TopdownPoseEstimator,
    out_file: Union[str, Path],
    flip_test: bool = False,
    opset: int = DEFAULT_OPSET,
) -> onnx.ModelProto:
    """Export backbone, head, probabilities and decode as one ONNX graph with dynamic batch.

    Inputs and outputs:
        - ``input``: normalised crops, float32, shape (B, 3, h, w).
        - ``keypoints``: (x, y) in crop pixels, float32, shape (B, K, 2).
        - ``scores``: float32, shape (B, K).

    Args:
        estimator (TopdownPoseEstimator): the model, e.g. from :func:`load_estimator`,
            with its ``cfg`` and ``dataset_meta``.
        out_file (str | Path): where to write the ``.onnx`` file.
        flip_test (bool): average with the mirrored crop inside the graph, exactly as
            :meth:`H3RHead.predict` with ``flip_test``. Defaults to False.
        opset (int): ONNX opset, at least 11. Defaults to :data:`DEFAULT_OPSET`.

    Returns:
        onnx.ModelProto: the saved model, with :func:`deploy_metadata` in its
        ``metadata_props``.
    """
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f'opset must be an integer >= {MIN_OPSET}, got {opset!r}')
    model = end_to_end_model(estimator, flip_test)
    metadata = deploy_metadata(estimator, flip_test)
    width, height = json.loads(metadata['input_size'])
    # Two crops, so that no batch size of 1 gets baked into a reshape.
    example = torch.zeros(2, 3, height, width)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    dynamic_axes = {name: {0: 'batch'} for name in (INPUT_NAME, *OUTPUT_NAMES)}
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer's notes on Python ints taken from tensor shapes: the shapes it records
        # (heatmap size, keypoints) are fixed by the model; only the batch is dynamic.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        # The TorchScript exporter is chosen on purpose (dynamo=False): it traces the
        # decode's integer index arithmetic into plain ONNX operators.
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.onnx.export(
            model,
            (example,),
            str(out_file),
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    onnx_model = onnx.load(str(out_file))
    for key, value in metadata.items():
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(out_file))
    return onnx_model
