"""The configs shipped from the converter (COCO-WholeBody, OneHand10K, RHD2D, AP-10K) are
exactly what the converter writes today, are listed in configs/README.md, and build at full
size with the heatmap size their codec decodes."""

import shlex
from typing import Tuple

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS
from stock_configs import without_pretrained
from utils import CONFIG_DIR, config_files, config_id, load_tool, written_by_converter

from h3r_mmpose.converters import convert_config

SHIPPED = [path for path in config_files() if written_by_converter(path)]

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def test_the_issue_datasets_are_shipped():
    assert sorted(config_id(path) for path in SHIPPED) == [
        'animal_2d_keypoint/ap10k/td-hm-h3r_hrnet-w32_8xb64-210e_ap10k-256x256.py',
        'hand_2d_keypoint/onehand10k/td-hm-h3r_hrnetv2-w18_8xb64-210e_onehand10k-256x256.py',
        'hand_2d_keypoint/rhd2d/td-hm-h3r_hrnetv2-w18_8xb64-210e_rhd2d-256x256.py',
        'wholebody_2d_keypoint/coco-wholebody/'
        'td-hm-h3r_hrnet-w32_8xb64-210e_coco-wholebody-256x192.py',
    ]


def recorded_command(path) -> Tuple[str, dict]:
    """The converter command in the config's header: its config and converter options."""
    tool = load_tool('convert_config')
    (line,) = [line for line in path.read_text().splitlines() if 'tools/convert_config.py' in line]
    words = shlex.split(line.lstrip('#'))
    assert words[:2] == ['python', 'tools/convert_config.py'] and words[-2:] == ['--out', 'FILE']
    args = tool.parse_args(words[2:-2] + ['--out', str(path)])
    return args.config, tool.converter_options(args)


@pytest.mark.parametrize('path', SHIPPED, ids=config_id)
def test_shipped_config_is_what_the_converter_writes(path):
    config, options = recorded_command(path)
    assert config.startswith('mmpose::')
    written = convert_config(config, str(path), **options)
    assert written == path.read_text(), f'regenerate {config_id(path)} with the command it names'


@pytest.mark.parametrize('path', SHIPPED, ids=config_id)
def test_shipped_config_is_listed_in_the_configs_readme(path):
    assert f'`{config_id(path)}`' in (CONFIG_DIR / 'README.md').read_text()


@pytest.mark.parametrize('path', SHIPPED, ids=config_id)
def test_shipped_model_outputs_the_codec_heatmap_size(path):
    cfg = Config.fromfile(str(path))
    model = MODELS.build(without_pretrained(cfg.model)).eval()
    width, height = cfg.codec.input_size
    with torch.no_grad():
        logits = model(torch.zeros(1, 3, height, width), None, mode='tensor')
    heatmap_width, heatmap_height = cfg.codec.heatmap_size
    assert logits.shape == (1, cfg.model.head.out_channels, heatmap_height, heatmap_width)
