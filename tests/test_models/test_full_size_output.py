"""Every shipped config's model, built at full size, outputs the heatmap its codec decodes."""

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS
from utils import config_files, config_id, without_pretrained

from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.models.heads import H3RHead

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


@pytest.mark.slow
@pytest.mark.parametrize('path', config_files(), ids=config_id)
def test_full_size_model_outputs_the_codec_heatmap_size(path):
    cfg = Config.fromfile(str(path))
    model = MODELS.build(without_pretrained(cfg.model)).eval()
    assert isinstance(model.head, H3RHead)
    assert isinstance(model.head.decoder, RandomizedRoundingHeatmap)
    width, height = cfg.codec.input_size
    with torch.no_grad():
        logits = model(torch.zeros(1, 3, height, width), None, mode='tensor')
    heatmap_width, heatmap_height = cfg.codec.heatmap_size
    assert logits.shape == (1, cfg.model.head.out_channels, heatmap_height, heatmap_width)
