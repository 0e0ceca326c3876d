"""Every top-down heatmap config MMPose ships converts or is refused with the documented
message; every converted config loads, is wired to one codec everywhere, and its head outputs
the codec's heatmap size (built and run on a subset covering every backbone family and head
type, checked structurally on the rest)."""

import importlib.util
from collections import Counter

import pytest
import torch
from mmpose.evaluation.metrics import NME
from mmpose.registry import MODELS
from stock_configs import (
    STOCK_CONFIGS,
    convert,
    load_stock,
    pose_head,
    reference,
    steps_anywhere,
    stock_id,
    stock_results,
    without_pretrained,
    without_scope,
)

from h3r_mmpose.converters import ConversionRefused
from h3r_mmpose.converters.conversion_plan import (
    H3R_HEADS,
    dataset_name,
    downsampled_size,
    h3r_head_arguments,
)
from h3r_mmpose.converters.stock_config import load_stock_config

pytestmark = [pytest.mark.usefixtures('mmpose_scope_on_one_thread'), pytest.mark.slow]


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    """Each stock config's conversion (the loaded config or the refusal), made once."""
    return stock_results(tmp_path_factory.mktemp('converted'))


@pytest.fixture(scope='module')
def stock():
    return {path: load_stock(path) for path in STOCK_CONFIGS}


def stock_head(stock_cfg):
    return stock_cfg.model.head.get('pose_cfg', stock_cfg.model.head)


def test_every_stock_config_converts(results, stock):
    assert len(STOCK_CONFIGS) > 250  # the glob found MMPose's configs
    refused = {
        stock_id(path): str(result)
        for path, result in results.items()
        if isinstance(result, ConversionRefused)
    }
    assert refused == {}
    heads = Counter(stock[path].model.head.type for path in STOCK_CONFIGS)
    assert set(heads) == {'HeatmapHead', 'ViPNASHead', 'CPMHead', 'MSPNHead', 'VisPredictHead'}


@pytest.mark.parametrize('path', STOCK_CONFIGS, ids=stock_id)
def test_converted_config_holds_one_codec_everywhere(path, results, stock):
    cfg, stock_cfg = results[path], stock[path]
    assert not isinstance(cfg, ConversionRefused), str(cfg)
    stock_codec = stock_head(stock_cfg).decoder
    # The codec: the stock sizes and nothing else (the codec's defaults apply).
    assert dict(cfg.codec) == dict(
        type='RandomizedRoundingHeatmap',
        input_size=tuple(stock_codec.input_size),
        heatmap_size=tuple(stock_codec.heatmap_size),
    )
    # The head: the stock head's layers under the H3R head type, decoding with the codec. The
    # stock head outputs the stock heatmap size (the forward passes below check it per
    # backbone family and head type), so the same layers output the codec's.
    head = pose_head(cfg.model)
    assert head.type == H3R_HEADS[stock_head(stock_cfg).type]
    assert head.decoder == cfg.codec
    assert head.loss == dict(type='HeatmapCrossEntropyLoss')
    layers = h3r_head_arguments(stock_head(stock_cfg), stock_codec)
    assert {key: head[key] for key in layers} == layers
    assert 'num_downsample_layers' not in head
    if stock_codec.get('heatmap_type') == 'combined':  # UDP offsets: 3 maps per keypoint
        assert head.out_channels * 3 == stock_head(stock_cfg).out_channels
    else:
        assert head.out_channels == stock_head(stock_cfg).out_channels
    # No stale encoder and no UDP affine anywhere: loaders, hooks, pipeline variables.
    targets = steps_anywhere(cfg, 'GenerateTarget')
    assert targets and all(step['encoder'] == cfg.codec for _, step in targets)
    affines = steps_anywhere(cfg, 'TopdownAffine')
    assert affines and not any(step.get('use_udp', False) for _, step in affines)
    # Flip testing as in the stock config, without the one-cell shift.
    assert cfg.model.test_cfg.shift_heatmap is False
    assert cfg.model.test_cfg.flip_mode == 'heatmap'
    assert cfg.model.test_cfg.flip_test == stock_cfg.model.test_cfg.get('flip_test', False)
    # The stock evaluators first; on face data evaluated by NME the face metric; then the
    # floor with the codec, on the face metric or else on the first stock metric.
    face_metric_expected = face_data_with_a_normaliser(path, stock_cfg)
    for split in ('val_evaluator', 'test_evaluator'):
        stock_metrics = (
            stock_cfg[split] if isinstance(stock_cfg[split], list) else [stock_cfg[split]]
        )
        metrics = without_scope(cfg[split])
        assert metrics[: len(stock_metrics)] == stock_metrics
        *added, floor = metrics[len(stock_metrics) :]
        if face_metric_expected:
            (face,) = added
            assert (face['type'], face['prefix']) == ('FaceAlignmentMetric', 'face')
        else:
            assert added == []
        scored = added[0] if added else stock_metrics[0]
        assert floor == dict(type='QuantizationFloorMetric', codec=cfg.codec, metric=scored)
    # The stock imports stay, with the plugin's.
    stock_imports = stock_cfg.get('custom_imports', {}).get('imports', [])
    assert cfg.custom_imports.imports == [*stock_imports, 'h3r_mmpose']


def face_data_with_a_normaliser(path, stock_cfg) -> bool:
    """Whether a stock config evaluates face data with an ``NME`` that can normalise: by an
    item, by given keypoints, or by MMPose's default pair for the dataset. 300W-LP has none
    (MMPose's own NME would fail on it too), so it gets no face metric."""
    metrics = stock_cfg.val_evaluator
    metrics = metrics if isinstance(metrics, list) else [metrics]
    nme = next((metric for metric in metrics if metric['type'] == 'NME'), None)
    if not stock_id(path).startswith('face_2d_keypoint/') or nme is None:
        return False
    if nme.get('norm_mode') == 'use_norm_item' or nme.get('keypoint_indices'):
        return True
    return dataset_name(stock_cfg.val_dataloader.dataset) in NME.DEFAULT_KEYPOINT_INDICES


def backbone_family(stock_cfg) -> str:
    return stock_cfg.model.backbone.type


def buildable(stock_cfg) -> bool:
    """False for backbones from packages not installed here (``mmpretrain.``, ``mmcls.``)."""
    scope = (
        backbone_family(stock_cfg).partition('.')[0] if '.' in backbone_family(stock_cfg) else None
    )
    return scope is None or importlib.util.find_spec(scope) is not None


def representatives():
    """One converted config per (backbone family, head type): the cheapest to run, i.e. the
    smallest input, then the shortest name (ResNet-50 before ResNet-101)."""

    def cost(path):
        width, height = stock_head(load_stock(path)).decoder.input_size
        return (width * height, len(path.name), path.name)

    chosen = {}
    for path in sorted(STOCK_CONFIGS, key=cost):
        stock_cfg = load_stock(path)
        key = (backbone_family(stock_cfg), stock_cfg.model.head.type)
        if buildable(stock_cfg):
            chosen.setdefault(key, path)
    return sorted(chosen.values())


REPRESENTATIVES = representatives()


def test_the_subset_covers_every_buildable_family_and_head_type(stock):
    families = {(backbone_family(cfg), cfg.model.head.type) for cfg in stock.values()}
    covered = {
        (backbone_family(stock[path]), stock[path].model.head.type) for path in REPRESENTATIVES
    }
    unbuildable = {
        (backbone_family(cfg), cfg.model.head.type) for cfg in stock.values() if not buildable(cfg)
    }
    assert covered == families - unbuildable
    # What cannot be built here: ViTPose's backbones from mmpretrain / mmcls (not installed).
    assert {family.partition('.')[0] for family, _ in unbuildable} <= {'mmpretrain', 'mmcls'}


def logits_shape(cfg) -> torch.Size:
    """Build the converted model at full size (no pretrained weights) and run one zero image
    of the codec's input size."""
    model = MODELS.build(without_pretrained(cfg.model)).eval()
    width, height = cfg.codec.input_size
    with torch.no_grad():
        output = model(torch.zeros(1, 3, height, width), None, mode='tensor')
    if isinstance(output, list):  # H3RCPMHead: one map per stage, the last one is decoded
        output = output[-1]
    elif isinstance(output, tuple):  # VisPredictHead: (heatmaps, visibility)
        output = output[0]
    return output.shape


@pytest.mark.parametrize('path', REPRESENTATIVES, ids=stock_id)
def test_converted_model_outputs_the_codec_heatmap_size(path, results):
    cfg = results[path]
    width, height = cfg.codec.heatmap_size
    assert logits_shape(cfg) == (1, pose_head(cfg.model).out_channels, height, width)


STRIDE_CASES = [
    ('body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py', 16),
    ('body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py', 8),
    (
        'body_2d_keypoint/topdown_heatmap/jhmdb/td-hm_res50-2deconv_8xb64-40e_jhmdb-sub1-256x256.py',
        16,
    ),
    (
        'wholebody_2d_keypoint/topdown_heatmap/coco-wholebody/td-hm_vipnas-mbv3_8xb64-210e_coco-wholebody-256x192.py',
        16,
    ),
    ('body_2d_keypoint/topdown_heatmap/coco/td-hm_rsn18_8xb32-210e_coco-256x192.py', 8),
]


@pytest.mark.parametrize(
    'config, stride', STRIDE_CASES, ids=[case[0].split('/')[-1] for case in STRIDE_CASES]
)
def test_coarser_stride_makes_the_head_output_the_codec_heatmap(config, stride, tmp_path):
    stock_cfg = load_stock_config(f'mmpose::{config}')
    stock_codec = stock_head(stock_cfg).decoder
    cfg = convert(f'mmpose::{config}', tmp_path, stride=stride)
    stock_stride = stock_codec.input_size[0] // stock_codec.heatmap_size[0]
    num_layers = {2: 1, 4: 2}[stride // stock_stride]
    expected = tuple(side // stride for side in stock_codec.input_size)
    head = pose_head(cfg.model)
    if head.type == 'H3RMSPNHead':  # its units interpolate to out_shape (H, W)
        assert 'num_downsample_layers' not in head
        assert tuple(head.out_shape) == expected[::-1]
    else:
        assert head.num_downsample_layers == num_layers
    assert tuple(cfg.codec.heatmap_size) == expected
    assert downsampled_size(tuple(stock_codec.heatmap_size), num_layers) == expected
    width, height = expected
    assert logits_shape(cfg) == (1, pose_head(cfg.model).out_channels, height, width)


def test_stride_finer_than_the_stock_heatmap_is_a_value_error(tmp_path):
    config = (
        'mmpose::body_2d_keypoint/topdown_heatmap/jhmdb/'
        'td-hm_res50-2deconv_8xb64-40e_jhmdb-sub1-256x256.py'
    )
    with pytest.raises(ValueError, match='stride 4 is not the stock head output stride 8'):
        convert(config, tmp_path, stride=4)


def test_stock_path_given_as_a_file_is_named_by_its_package(tmp_path):
    path = STOCK_CONFIGS[0]
    cfg = convert(str(path), tmp_path)
    text = next(tmp_path.glob('*.py')).read_text()
    assert f"'{reference(path)}'" in text
    assert not isinstance(cfg, ConversionRefused)
