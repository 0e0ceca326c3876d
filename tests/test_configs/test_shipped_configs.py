"""Every config under configs/ is what the converter command in its header writes, byte for
byte, and what that means holds: one codec wired everywhere, the stock evaluators first, the
face metric on face data, the floor last, pipelines that build, a full-size model that outputs
the codec's heatmap size, and stride variants that differ from their stride-4 sibling only in
resolution. The configs are found by walking the folder: no list is kept here."""

import copy
import inspect
import math
from functools import lru_cache
from pathlib import Path
from typing import Tuple

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import KEYPOINT_CODECS, MODELS, TRANSFORMS
from torch import nn
from utils import CONFIG_DIR, ROOT, config_files, config_id, load_tool, without_pretrained

from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.codecs.utils import DEFAULT_DECODER, decoder_argument_names
from h3r_mmpose.converters import convert_config, recorded_command
from h3r_mmpose.converters.conversion_plan import H3R_HEADS
from h3r_mmpose.converters.stock_config import load_stock_config
from h3r_mmpose.models.heads import H3RHead

CONFIGS = config_files()
STRIDE_VARIANTS = [path for path in CONFIGS if '-stride' in path.name]
COCO_HRNET_W32 = (
    CONFIG_DIR / 'body_2d_keypoint' / 'coco' / 'td-hm-h3r_hrnet-w32_8xb64-210e_coco-256x192.py'
)
COCO_RES50 = CONFIG_DIR / 'body_2d_keypoint' / 'coco' / 'td-hm-h3r_res50_8xb64-210e_coco-256x192.py'
CODEC_ARGS = {
    name
    for name, parameter in inspect.signature(RandomizedRoundingHeatmap).parameters.items()
    if parameter.kind != inspect.Parameter.VAR_KEYWORD
} | {'type', *decoder_argument_names()}

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


@lru_cache(maxsize=None)
def load(path: Path) -> Config:
    return Config.fromfile(str(path))


@lru_cache(maxsize=None)
def header_command(path: Path):
    """The parsed converter command in the config's header."""
    command = recorded_command(path.read_text())
    assert command[:2] == ['python', 'tools/convert_config.py'], command
    return load_tool('convert_config').parse_args(command[2:])


@lru_cache(maxsize=None)
def load_stock(path: Path) -> Config:
    """The stock config the header's command converted."""
    return load_stock_config(header_command(path).config)


def without_scope(node):
    """``node`` without the ``_scope_`` keys MMEngine adds to dicts read from another
    package's config (``mmpose::``)."""
    if isinstance(node, dict):
        return {key: without_scope(value) for key, value in node.items() if key != '_scope_'}
    if isinstance(node, (list, tuple)):
        return type(node)(without_scope(value) for value in node)
    return node


def as_list(evaluator) -> list:
    return list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]


def build_and_forward(model_cfg, input_size) -> Tuple[nn.Module, torch.Size]:
    """Build a full-size model (no pretrained weights) and return it with the shape of the
    logits it gives for one zero image of ``input_size`` (w, h)."""
    model = MODELS.build(without_pretrained(copy.deepcopy(model_cfg))).eval()
    width, height = input_size
    with torch.no_grad():
        return model, model(torch.zeros(1, 3, height, width), None, mode='tensor').shape


def config_stride(cfg: Config) -> float:
    """The heatmap stride of a config's codec (input width / heatmap width)."""
    return cfg.codec.input_size[0] / cfg.codec.heatmap_size[0]


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_is_what_its_header_command_writes(path):
    args = header_command(path)
    assert args.config.startswith('mmpose::')  # inherits a stock config, not another of ours
    assert args.out == path.relative_to(ROOT).as_posix()  # run from the repository root
    options = load_tool('convert_config').converter_options(args)
    written = convert_config(args.config, args.out, **options)
    assert written == path.read_text(), (
        f'regenerate {config_id(path)} with the command in its header (all of them: '
        'python tools/convert_stock_configs.py --shipped)'
    )


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_wires_one_codec_everywhere(path):
    cfg = load(path)
    assert cfg.custom_imports == dict(imports=['h3r_mmpose'], allow_failed_imports=False)
    assert cfg.model.head.type in H3R_HEADS.values()
    # No key left over from the stock codec (e.g. MSRAHeatmap's sigma) ...
    assert cfg.codec.type == 'RandomizedRoundingHeatmap'
    assert set(cfg.codec) <= CODEC_ARGS, set(cfg.codec) - CODEC_ARGS
    # ... and that one codec in the head and in the training targets.
    assert cfg.model.head.decoder == cfg.codec
    (step,) = [
        step for step in cfg.train_dataloader.dataset.pipeline if step.type == 'GenerateTarget'
    ]
    assert step.encoder == cfg.codec
    assert cfg.train_pipeline == cfg.train_dataloader.dataset.pipeline
    # The corner-to-corner grid is mirror-symmetric: a shifted flip would be off by a cell.
    assert cfg.model.test_cfg.flip_test is True
    assert cfg.model.test_cfg.shift_heatmap is False


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_evaluators_keep_the_stock_metrics_and_add_the_face_metric_and_the_floor(path):
    cfg, stock = load(path), load_stock(path)
    # The stock save_best reads the stock metrics' unprefixed keys, which come first ...
    assert cfg.default_hooks.checkpoint.save_best == stock.default_hooks.checkpoint.save_best
    for split in ('val_evaluator', 'test_evaluator'):
        stock_metrics = without_scope(as_list(stock[split]))
        metrics = without_scope(cfg[split])
        assert metrics[: len(stock_metrics)] == stock_metrics
        # ... and the added ones report under prefixes ('face/', 'floor/'): no clash.
        *extra, floor = metrics[len(stock_metrics) :]
        assert floor['type'] == 'QuantizationFloorMetric' and floor.get('prefix') is None
        assert floor['codec'] == without_scope(cfg.codec)
        if 'face_2d_keypoint' in path.parts:
            (nme,) = [metric for metric in stock_metrics if metric['type'] == 'NME']
            (face,) = extra
            assert face['type'] == 'FaceAlignmentMetric' and face['prefix'] == 'face'
            for key in ('norm_mode', 'norm_item'):
                assert face.get(key) == nme.get(key), key
            assert floor['metric'] == face
        else:
            assert extra == [] and floor['metric'] == stock_metrics[0]


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_codec_and_pipelines_build(path):
    cfg = load(path)
    codec = KEYPOINT_CODECS.build(cfg.codec)
    assert isinstance(codec, RandomizedRoundingHeatmap)
    assert codec.target_type == 'expected' and codec.decoder == DEFAULT_DECODER
    train_steps = [TRANSFORMS.build(step) for step in cfg.train_dataloader.dataset.pipeline]
    [TRANSFORMS.build(step) for step in cfg.val_dataloader.dataset.pipeline]
    (generate_target,) = [step for step in train_steps if type(step).__name__ == 'GenerateTarget']
    assert isinstance(generate_target.encoder, RandomizedRoundingHeatmap)
    assert generate_target.encoder.heatmap_size == codec.heatmap_size
    (affine,) = [step for step in train_steps if type(step).__name__ == 'TopdownAffine']
    assert tuple(affine.input_size) == codec.input_size


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_full_size_model_outputs_the_codec_heatmap_size(path):
    cfg = load(path)
    model, shape = build_and_forward(cfg.model, cfg.codec.input_size)
    assert isinstance(model.head, H3RHead)
    assert isinstance(model.head.decoder, RandomizedRoundingHeatmap)
    width, height = cfg.codec.heatmap_size
    assert shape == (1, cfg.model.head.out_channels, height, width)


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_file_name_states_a_stride_the_stock_config_does_not_have(path):
    """``-strideN`` names the codec's stride and the ``--stride`` of the command; a config
    without it keeps the stock heatmap."""
    cfg, stock = load(path), load_stock(path)
    stride = header_command(path).stride
    if stride is None:
        assert '-stride' not in path.name
        assert tuple(cfg.codec.heatmap_size) == tuple(stock.codec.heatmap_size)
        assert 'num_downsample_layers' not in cfg.model.head
    else:
        assert f'-stride{stride}_' in path.name and config_stride(cfg) == stride
        added = math.log2(stride / config_stride(stock))
        assert cfg.model.head.num_downsample_layers == added


@pytest.mark.parametrize('path', STRIDE_VARIANTS, ids=config_id)
def test_stride_variant_differs_from_its_stride4_config_only_in_resolution(path):
    stride = header_command(path).stride
    variant, base = load(path), load(path.with_name(path.name.replace(f'-stride{stride}', '')))
    assert tuple(variant.codec.heatmap_size) == tuple(
        size * 4 // stride for size in base.codec.heatmap_size
    )
    assert dict(variant.codec, heatmap_size=None) == dict(base.codec, heatmap_size=None)
    for key in ('backbone', 'neck', 'data_preprocessor', 'test_cfg'):
        assert variant.model.get(key) == base.model.get(key), key
    assert dict(variant.model.head, num_downsample_layers=None, decoder=None) == dict(
        base.model.head, num_downsample_layers=None, decoder=None
    )
    for key in ('val_dataloader', 'default_hooks', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert variant[key] == base[key], key
    assert len(variant.train_pipeline) == len(base.train_pipeline)
    for step, base_step in zip(variant.train_pipeline, base.train_pipeline):
        assert step.type == base_step.type
        assert step == base_step or step.type == 'GenerateTarget', step.type


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_is_listed_in_the_configs_readme(path):
    assert f'`{config_id(path)}`' in (CONFIG_DIR / 'README.md').read_text()


def test_the_tool_rewrites_a_shipped_config_from_its_header(tmp_path, monkeypatch):
    """``tools/convert_stock_configs.py --shipped`` runs the command in each header: a copy
    of a config cut down to its header is written back whole; a file without a header is
    refused."""
    tool = load_tool('convert_stock_configs')
    path = STRIDE_VARIANTS[0]
    copy_path = tmp_path / 'configs' / config_id(path)
    copy_path.parent.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)  # the tool changes into the root it is given
    copy_path.write_text('_base_ = []\n')
    with pytest.raises(ValueError, match="no '# Written by:' header line"):
        tool.rewrite_shipped_configs(tmp_path)
    text = path.read_text()
    copy_path.write_text(text[: text.index('_base_')])
    tool.rewrite_shipped_configs(tmp_path)
    assert copy_path.read_text() == text


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
