"""Every shipped config loads, builds at full size and produces the heatmaps its codec
decodes. The models are built without pretrained weights and never trained."""

import copy
import inspect
from functools import lru_cache
from pathlib import Path
from typing import Tuple

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import KEYPOINT_CODECS, MODELS, TRANSFORMS
from torch import nn
from utils import (
    CONFIG_DIR,
    config_files,
    config_id,
    without_pretrained,
    written_by_converter,
)

from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.models.heads import H3RHead

#: The hand-written configs (the converter's are checked in tests/test_converters).
CONFIGS = [path for path in config_files() if not written_by_converter(path)]
STRIDE_VARIANTS = [path for path in CONFIGS if '-stride' in path.name]
COCO_HRNET_W32 = (
    CONFIG_DIR / 'body_2d_keypoint' / 'coco' / 'td-hm-h3r_hrnet-w32_8xb64-210e_coco-256x192.py'
)
COCO_RES50 = CONFIG_DIR / 'body_2d_keypoint' / 'coco' / 'td-hm-h3r_res50_8xb64-210e_coco-256x192.py'
CODEC_ARGS = set(inspect.signature(RandomizedRoundingHeatmap).parameters) | {'type'}
#: The key each stock evaluator reports and the stock configs' save_best reads.
STOCK_BEST_KEY = {'CocoMetric': 'coco/AP', 'MpiiPCKAccuracy': 'PCK', 'NME': 'NME'}

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


@lru_cache(maxsize=None)
def load(path: Path) -> Config:
    return Config.fromfile(str(path))


def build_and_forward(model_cfg, input_size) -> Tuple[nn.Module, torch.Size]:
    """Build a full-size model (no pretrained weights) and return it with the shape of the
    logits it gives for one zero image of ``input_size`` (w, h)."""
    model = MODELS.build(without_pretrained(copy.deepcopy(model_cfg))).eval()
    width, height = input_size
    with torch.no_grad():
        return model, model(torch.zeros(1, 3, height, width), None, mode='tensor').shape


def generate_target_steps(pipeline) -> list:
    return [step for step in pipeline if step['type'] == 'GenerateTarget']


def config_stride(path: Path) -> int:
    """The heatmap stride of a config's codec (input width / heatmap width)."""
    codec = load(path).codec
    return codec.input_size[0] // codec.heatmap_size[0]


def test_every_dataset_and_stride_is_shipped():
    """Every dataset at stride 4; COCO HRNet-W32 and the four face datasets at 8 and 16."""
    faces = ('wflw', '300w', 'cofw', 'aflw')
    shipped = {(path.parent.name, config_stride(path)) for path in CONFIGS}
    assert {(name, 4) for name in ('coco', 'mpii', *faces)} <= shipped
    variants = {(path.parent.name, config_stride(path)) for path in STRIDE_VARIANTS}
    assert variants == {(name, stride) for name in ('coco', *faces) for stride in (8, 16)}
    for path in STRIDE_VARIANTS:  # the file name states the codec's stride
        assert f'-stride{config_stride(path)}_' in path.name, config_id(path)


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_wires_one_codec_everywhere(path):
    cfg = load(path)
    assert cfg.custom_imports == dict(imports=['h3r_mmpose'], allow_failed_imports=False)
    assert cfg.model.head.type == 'H3RHead'
    # No key left over from the stock codec (e.g. MSRAHeatmap's sigma) ...
    assert cfg.codec.type == 'RandomizedRoundingHeatmap'
    assert set(cfg.codec) <= CODEC_ARGS, set(cfg.codec) - CODEC_ARGS
    # ... and that one codec in the head and in the training targets.
    assert cfg.model.head.decoder == cfg.codec
    (step,) = generate_target_steps(cfg.train_dataloader.dataset.pipeline)
    assert step.encoder == cfg.codec
    assert cfg.train_pipeline == cfg.train_dataloader.dataset.pipeline
    # The corner-to-corner grid is mirror-symmetric: a shifted flip would be off by a cell.
    assert cfg.model.test_cfg.flip_test is True
    assert cfg.model.test_cfg.shift_heatmap is False


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_evaluators_keep_the_stock_metric_and_add_the_floor(path):
    cfg = load(path)
    for split in ('val_evaluator', 'test_evaluator'):
        stock, *extra = cfg[split]
        # The stock metric keeps its unprefixed keys, so the stock save_best still works;
        # the added metrics report under prefixes ('face/', 'floor/') and cannot clash.
        assert cfg.default_hooks.checkpoint.save_best == STOCK_BEST_KEY[stock.type]
        floor = extra.pop()
        assert floor.type == 'QuantizationFloorMetric' and floor.get('prefix') is None
        assert floor.codec == cfg.codec
        if stock.type == 'NME':
            (face,) = extra
            assert face.type == 'FaceAlignmentMetric' and face.prefix == 'face'
            assert (face.norm_mode, face.get('norm_item')) == (
                stock.norm_mode,
                stock.get('norm_item'),
            )
            assert floor.metric == face
        else:
            assert extra == [] and floor.metric == stock


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_codec_and_pipelines_build(path):
    cfg = load(path)
    codec = KEYPOINT_CODECS.build(cfg.codec)
    assert isinstance(codec, RandomizedRoundingHeatmap)
    assert codec.target_type == 'expected' and codec.decoder == 'mean_shift'
    train_steps = [TRANSFORMS.build(step) for step in cfg.train_dataloader.dataset.pipeline]
    [TRANSFORMS.build(step) for step in cfg.val_dataloader.dataset.pipeline]
    (generate_target,) = [step for step in train_steps if type(step).__name__ == 'GenerateTarget']
    assert isinstance(generate_target.encoder, RandomizedRoundingHeatmap)
    assert generate_target.encoder.heatmap_size == codec.heatmap_size
    (affine,) = [step for step in train_steps if type(step).__name__ == 'TopdownAffine']
    assert tuple(affine.input_size) == codec.input_size


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_full_size_model_outputs_the_codec_heatmap_size(path):
    cfg = load(path)
    model, shape = build_and_forward(cfg.model, cfg.codec.input_size)
    assert isinstance(model.head, H3RHead)
    assert isinstance(model.head.decoder, RandomizedRoundingHeatmap)
    width, height = cfg.codec.heatmap_size
    assert shape == (1, cfg.model.head.out_channels, height, width)


def test_stride4_model_with_a_stride8_codec_names_both_sizes():
    cfg = load(COCO_HRNET_W32)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.head.decoder = dict(cfg.codec, heatmap_size=(24, 32))
    with pytest.raises(ValueError, match=r'\(48, 64\).*\(24, 32\)'):
        build_and_forward(model_cfg, cfg.codec.input_size)


@pytest.mark.parametrize(
    'deconvs, heatmap_size', [(2, (24, 32)), (1, (12, 16))], ids=['1/8', '1/16']
)
def test_resnet_head_with_fewer_deconvs_gives_coarser_heatmaps(deconvs, heatmap_size):
    """What configs/README.md tells ResNet users to do for lower resolutions."""
    cfg = load(COCO_RES50)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.head.update(
        deconv_out_channels=(256,) * deconvs,
        deconv_kernel_sizes=(4,) * deconvs,
        decoder=dict(cfg.codec, heatmap_size=heatmap_size),
    )
    width, height = heatmap_size
    _, shape = build_and_forward(model_cfg, cfg.codec.input_size)
    assert shape == (1, 17, height, width)


@pytest.mark.parametrize('path', STRIDE_VARIANTS, ids=config_id)
def test_stride_variant_differs_from_its_stride4_config_only_in_resolution(path):
    stride = int(path.name.split('-stride')[1].split('_')[0])
    variant, base = load(path), load(path.with_name(path.name.replace(f'-stride{stride}', '')))
    assert variant.model.head.num_downsample_layers == {8: 1, 16: 2}[stride]
    assert 'num_downsample_layers' not in base.model.head
    assert tuple(variant.codec.heatmap_size) == tuple(
        size * 4 // stride for size in base.codec.heatmap_size
    )
    assert dict(variant.codec, heatmap_size=None) == dict(base.codec, heatmap_size=None)
    for key in ('backbone', 'neck', 'data_preprocessor', 'test_cfg'):
        assert variant.model.get(key) == base.model.get(key), key
    for key in ('val_dataloader', 'default_hooks', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert variant[key] == base[key], key
    assert len(variant.train_pipeline) == len(base.train_pipeline)
    for step, base_step in zip(variant.train_pipeline, base.train_pipeline):
        assert step.type == base_step.type
        assert step == base_step or step.type == 'GenerateTarget', step.type
