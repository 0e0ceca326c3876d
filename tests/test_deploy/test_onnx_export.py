"""The exported graph computes what the PyTorch pipeline computes, on any batch size, with
portable operators only, and refuses what it cannot export exactly."""

import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from deploy_helpers import CONFIGS, random_crops, sharpened, tiny_config
from mmpose.structures import PoseDataSample
from onnx import TensorProto, helper
from utils import ROOT

from h3r_mmpose.codecs.utils import DECODERS, DEFAULT_DECODER
from h3r_mmpose.deploy import (
    EndToEndKeypointModel,
    export_onnx,
    load_estimator,
    operator_counts,
    portability_problems,
)

CASES = [(name, flip) for name in CONFIGS for flip in (False, True)]
CASE_IDS = [f'{name}-{"flip" if flip else "noflip"}' for name, flip in CASES]

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=['CPUExecutionProvider'])


def run_graph(path, inputs: torch.Tensor):
    keypoints, scores = session(path).run(['keypoints', 'scores'], {'input': inputs.numpy()})
    return keypoints, scores


def in_frame(keypoints: np.ndarray, width: int, height: int, atol: float = 1e-3) -> bool:
    """Whether every keypoint lies in the crop's frame [0, w-1] x [0, h-1] (float32 slack)."""
    return bool(((keypoints >= -atol) & (keypoints <= np.array([width, height]) - 1 + atol)).all())


def head_predict(estimator, inputs: torch.Tensor, flip_test: bool):
    """Keypoints (B, K, 2) and scores (B, K) from ``H3RHead.predict``, the PyTorch path."""
    meta = dict(flip_indices=estimator.dataset_meta['flip_indices'])
    samples = [PoseDataSample(metainfo=meta) for _ in range(len(inputs))]
    test_cfg = dict(flip_test=flip_test, flip_mode='heatmap', shift_heatmap=False)
    with torch.no_grad():
        feats = estimator.extract_feat(inputs)
        if flip_test:
            feats = [feats, estimator.extract_feat(inputs.flip(-1))]
        preds = estimator.head.predict(feats, samples, test_cfg=test_cfg)
    keypoints = np.concatenate([pred.keypoints for pred in preds])
    scores = np.concatenate([pred.keypoint_scores for pred in preds])
    return keypoints, scores


@pytest.mark.slow
@pytest.mark.parametrize('name,flip_test', CASES, ids=CASE_IDS)
def test_graph_equals_head_predict(exported, name, flip_test):
    estimator, path = exported(name, flip_test)
    assert not estimator.training  # exporting left the model in eval mode
    inputs = random_crops(estimator, batch_size=3)
    keypoints, scores = run_graph(path, inputs)
    expected_keypoints, expected_scores = head_predict(estimator, inputs, flip_test)
    num_keypoints = estimator.head.out_channels
    assert keypoints.shape == (3, num_keypoints, 2) and keypoints.dtype == np.float32
    assert scores.shape == (3, num_keypoints) and scores.dtype == np.float32
    np.testing.assert_allclose(keypoints, expected_keypoints, rtol=0, atol=1e-3)
    np.testing.assert_allclose(scores, expected_scores, rtol=0, atol=1e-5)
    # The comparison means something: the maps are peaked, not uniform, and the flip test
    # moves the keypoints.
    assert scores.mean() > 4 / np.prod(estimator.head.decoder.heatmap_size)
    if flip_test:
        unflipped, _ = run_graph(exported(name, False)[1], inputs)
        assert np.abs(unflipped - keypoints).max() > 0.1


@pytest.mark.slow
@pytest.mark.parametrize('decoder', [name for name in DECODERS if name != DEFAULT_DECODER])
def test_every_decoder_exports_exactly(decoder, tmp_path):
    """The table's other decoders (the configs use the default) go into the graph too."""
    cfg = tiny_config('coco-s16')
    cfg.model.head.decoder.decoder = decoder
    estimator = sharpened(load_estimator(cfg))
    path = tmp_path / f'{decoder}.onnx'
    model = export_onnx(estimator, path, flip_test=True)
    assert portability_problems(model) == []
    inputs = random_crops(estimator, batch_size=2)
    keypoints, scores = run_graph(path, inputs)
    expected_keypoints, expected_scores = head_predict(estimator, inputs, flip_test=True)
    np.testing.assert_allclose(keypoints, expected_keypoints, rtol=0, atol=1e-3)
    np.testing.assert_allclose(scores, expected_scores, rtol=0, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize('name', ['coco-s4', 'wflw-s16'])
def test_one_file_serves_any_batch_size(exported, name):
    estimator, path = exported(name, True)
    inputs = random_crops(estimator, batch_size=5, seed=1)
    keypoints, scores = run_graph(path, inputs)
    single_keypoints, single_scores = run_graph(path, inputs[2:3])
    assert keypoints.shape[0] == 5 and single_keypoints.shape[0] == 1
    np.testing.assert_allclose(single_keypoints[0], keypoints[2], rtol=0, atol=1e-4)
    np.testing.assert_allclose(single_scores[0], scores[2], rtol=0, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize('name', list(CONFIGS))
def test_degenerate_images_give_finite_keypoints_in_the_crop(exported, name):
    """An all-zero crop and a constant one (a grey image after normalisation)."""
    estimator, path = exported(name, True)
    width, height = estimator.head.decoder.input_size
    zero = torch.zeros(1, 3, height, width)
    grey = torch.ones(1, 3, height, width) * torch.tensor([0.1, -0.5, 2.0]).view(1, 3, 1, 1)
    keypoints, scores = run_graph(path, torch.cat([zero, grey]))
    assert np.isfinite(keypoints).all() and np.isfinite(scores).all()
    assert in_frame(keypoints, width, height)
    assert ((scores > 0) & (scores <= 1 + 1e-6)).all()


@pytest.mark.slow
def test_uniform_heatmaps_decode_to_finite_keypoints(tiny_estimator, tmp_path):
    """A head whose final layer is zero outputs one value everywhere: every cell ties."""
    estimator = load_estimator(tiny_config('coco-s16'))
    with torch.no_grad():
        estimator.head.final_layer.weight.zero_()
        estimator.head.final_layer.bias.zero_()
    path = tmp_path / 'uniform.onnx'
    export_onnx(estimator, path)
    inputs = random_crops(estimator, batch_size=2)
    keypoints, scores = run_graph(path, inputs)
    width, height = estimator.head.decoder.input_size
    assert np.isfinite(keypoints).all() and in_frame(keypoints, width, height)
    # Every channel is the same uniform map, so every keypoint decodes alike, as in PyTorch.
    np.testing.assert_allclose(
        keypoints, np.broadcast_to(keypoints[:1, :1], keypoints.shape), atol=1e-4
    )
    assert (scores > 0).all()
    expected_keypoints, expected_scores = head_predict(estimator, inputs, flip_test=False)
    np.testing.assert_allclose(keypoints, expected_keypoints, rtol=0, atol=1e-3)
    np.testing.assert_allclose(scores, expected_scores, rtol=0, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize('name,flip_test', [('coco-s4', True), ('wflw-s16', False)])
def test_graph_uses_portable_operators_only(exported, name, flip_test):
    _, path = exported(name, flip_test)
    model = onnx.load(str(path))
    assert portability_problems(model) == []
    ops = operator_counts(model)
    # The decode is inside: a grid softmax, the peak search and the gather of its block.
    assert {'ArgMax', 'GatherElements'} <= set(ops), ops
    assert {'Softmax', 'LogSoftmax'} & set(ops), ops
    assert 'Mod' not in ops and 'IsInf' not in ops


def tiny_graph(op_type: str, dtype: int = TensorProto.FLOAT, opset: int = 13) -> onnx.ModelProto:
    """A one-node graph y = op(x, x) (or op(x)) to feed the portability check."""
    inputs = ['x', 'x'] if op_type in ('Mod', 'Add') else ['x']
    attributes = {'fmod': 0} if op_type == 'Mod' else {}
    node = helper.make_node(op_type, inputs, ['y'], name='node', **attributes)
    graph = helper.make_graph(
        [node],
        'g',
        [helper.make_tensor_value_info('x', dtype, [2])],
        [helper.make_tensor_value_info('y', dtype, [2])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)])


def test_portability_check_names_what_tensorrt_lacks():
    assert portability_problems(tiny_graph('Add')) == []
    assert portability_problems(tiny_graph('Mod', TensorProto.INT64)) == [
        "1 Mod node(s): not in TensorRT 8.2's operator list"
    ]
    assert portability_problems(tiny_graph('IsInf'))[0].startswith('1 IsInf node(s)')
    doubles = portability_problems(tiny_graph('Add', TensorProto.DOUBLE))
    assert len(doubles) == 1 and doubles[0].startswith('2 float64 tensor(s)')
    assert portability_problems(tiny_graph('Add', opset=10)) == ['opset 10 is below 11']


def test_portability_check_follows_tensorrt_topk_rules():
    """A constant k and float data: TensorRT 8.2's TopK importer refuses anything else."""

    def topk_graph(k_is_constant: bool, dtype: int = TensorProto.FLOAT) -> onnx.ModelProto:
        nodes = [helper.make_node('TopK', ['x', 'k'], ['values', 'indices'], name='topk')]
        inputs = [helper.make_tensor_value_info('x', dtype, [1, 9])]
        if k_is_constant:
            k = helper.make_tensor('k_value', TensorProto.INT64, [1], [4])
            nodes.insert(0, helper.make_node('Constant', [], ['k'], value=k))
        else:
            inputs.append(helper.make_tensor_value_info('k', TensorProto.INT64, [1]))
        outputs = [
            helper.make_tensor_value_info('values', dtype, [1, 4]),
            helper.make_tensor_value_info('indices', TensorProto.INT64, [1, 4]),
        ]
        graph = helper.make_graph(nodes, 'g', inputs, outputs)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])

    assert portability_problems(topk_graph(True)) == []
    assert portability_problems(topk_graph(False)) == [
        "TopK node 'topk' reads a k computed at run time"
    ]
    assert portability_problems(topk_graph(True, TensorProto.INT64)) == [
        "TopK 'topk' gets integer data: TensorRT 8.2 runs it on floats only"
    ]


@pytest.mark.slow
def test_metadata_carries_the_crop_settings(exported):
    estimator, path = exported('wflw-s4', True)
    props = {entry.key: json.loads(entry.value) for entry in onnx.load(str(path)).metadata_props}
    assert props['input_size'] == [256, 256]
    assert props['heatmap_size'] == [64, 64]
    assert props['bbox_padding'] == 1.25
    assert props['mean'] == [123.675, 116.28, 103.53]
    assert props['std'] == [58.395, 57.12, 57.375]
    assert props['bgr_to_rgb'] is True
    assert props['flip_test'] is True
    assert props['dataset_name'] == 'wflw'
    assert len(props['keypoint_names']) == 98 and len(props['keypoint_colors']) == 98
    # ONNX Runtime sees the same strings.
    assert json.loads(session(path).get_modelmeta().custom_metadata_map['input_size']) == [256, 256]


@pytest.mark.slow
def test_bad_arguments_name_the_parameter(tiny_estimator, tmp_path):
    estimator = tiny_estimator('coco-s16')
    with pytest.raises(ValueError, match=r'opset must be an integer >= 11, got 10'):
        export_onnx(estimator, tmp_path / 'x.onnx', opset=10)
    with pytest.raises(ValueError, match=r'flip_indices must be a permutation of range\(17\)'):
        EndToEndKeypointModel(estimator, flip_indices=[0] * 17)
    shifted = load_estimator(tiny_config('coco-s16'))
    shifted.test_cfg['shift_heatmap'] = True
    with pytest.raises(ValueError, match=r'shift_heatmap=True'):
        export_onnx(shifted, tmp_path / 'x.onnx', flip_test=True)


def test_only_h3r_heads_are_exported(tmp_path):
    cfg = tiny_config('coco-s16')
    cfg.model.head = dict(
        type='HeatmapHead',
        in_channels=cfg.model.head.in_channels,
        out_channels=17,
        deconv_out_channels=None,
        decoder=dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2),
    )
    with pytest.raises(ValueError, match=r'estimator.head must be an H3RHead, got HeatmapHead'):
        export_onnx(load_estimator(cfg), tmp_path / 'x.onnx')


@pytest.mark.slow
def test_export_tool_writes_a_portable_graph(tmp_path):
    """tools/deploy/export_onnx.py on the tiny test config (ResNet-18, 128x96 crops)."""
    out = tmp_path / 'tiny.onnx'
    command = [sys.executable, str(ROOT / 'tools' / 'deploy' / 'export_onnx.py')]
    command += [str(ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'), '--out', str(out), '--flip-test']
    completed = subprocess.run(command, capture_output=True, text=True, cwd=str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    assert 'portable: every operator' in completed.stdout
    keypoints, scores = run_graph(out, torch.zeros(2, 3, 128, 96))
    assert keypoints.shape == (2, 17, 2) and scores.shape == (2, 17)
