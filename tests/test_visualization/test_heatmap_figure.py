"""tools/visualize.py and the figure behind it: the picture is written, and what it draws
(crop, cell positions, top-k cells) is placed where the codec and the model put it."""

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.apis import init_model
from mmpose.registry import KEYPOINT_CODECS
from mmpose.structures import PoseDataSample
from utils import ROOT, run_tool_in_process

import h3r_mmpose  # noqa: F401  (registers the plugin)
from h3r_mmpose.visualization.heatmap_figure import (
    choose_keypoints,
    crop_image,
    crop_transform,
    draw_heatmap_figure,
    image_to_crop,
    predict_with_heatmaps,
    top_cells,
    zoom_window,
)

TINY_CONFIG = ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


@pytest.fixture(scope='module')
def tiny_model():
    torch.manual_seed(0)
    return init_model(str(TINY_CONFIG), device='cpu')


@pytest.fixture(scope='module')
def checkpoint(tiny_model, tmp_path_factory):
    """An untrained tiny model's weights, saved the way init_model reads them."""
    path = tmp_path_factory.mktemp('visualize') / 'tiny.pth'
    torch.save(dict(state_dict=tiny_model.state_dict()), path)
    return path


def coco_image(samples_dir):
    import mmcv

    path = sorted((samples_dir / 'coco').glob('*.jpg'))[0]
    return path, mmcv.imread(str(path))


def test_tool_writes_a_png(checkpoint, samples_dir, tmp_path):
    image_path, image = coco_image(samples_dir)
    height, width = image.shape[:2]
    out = tmp_path / 'maps.png'
    run_tool_in_process(
        'visualize',
        TINY_CONFIG,
        checkpoint,
        image_path,
        '--bbox',
        10,
        20,
        width // 2,
        height - 5,
        '--keypoints',
        0,
        5,
        16,
        '--title',
        'untrained tiny model',
        '--out',
        out,
    )
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    import mmcv

    picture = mmcv.imread(str(out))
    assert picture.shape[0] > 200 and picture.shape[1] > 400
    # The default panels and the whole-image box work too.
    out_default = tmp_path / 'default.png'
    run_tool_in_process('visualize', TINY_CONFIG, checkpoint, image_path, '--out', out_default)
    assert out_default.read_bytes()[:8] == PNG_SIGNATURE


def test_crop_and_keypoints_follow_the_models_own_mapping(tiny_model, samples_dir):
    _, image = coco_image(samples_dir)
    sample = predict_with_heatmaps(tiny_model, image, (30.5, 40.0, 150.0, 260.0))
    width, height = sample.metainfo['input_size']
    assert crop_image(image, sample).shape == (height, width, 3)
    assert sample.pred_fields.heatmaps.shape == (17, 32, 24)
    # image_to_crop inverts the estimator's crop -> image mapping of the keypoints.
    keypoints = sample.pred_instances.keypoints[0]
    center, scale = sample.metainfo['input_center'], sample.metainfo['input_scale']
    crop = image_to_crop(keypoints, sample)
    back = crop / np.array([width, height]) * scale + center - 0.5 * scale
    np.testing.assert_allclose(back, keypoints, atol=1e-3)
    # ... and puts them where the warp that makes the drawn crop puts those image pixels.
    matrix = crop_transform(sample)
    np.testing.assert_allclose(crop, keypoints @ matrix[:, :2].T + matrix[:, 2], atol=1e-3)
    # output_heatmaps was switched on for this call only.
    assert not tiny_model.test_cfg.get('output_heatmaps', False)


def one_hot_sample(column: int, row: int) -> PoseDataSample:
    """A prediction on a 192x256 crop of a 400x300 image whose one keypoint map is all on cell
    (column, row) of a 24x32 grid."""
    heatmaps = np.zeros((1, 32, 24), np.float32)
    heatmaps[0, row, column] = 1
    sample = PoseDataSample(
        metainfo=dict(
            input_size=(192, 256),
            input_center=np.array([200.0, 150.0]),
            input_scale=np.array([192.0, 256.0]),
        )
    )
    sample.pred_instances = InstanceData(
        keypoints=np.array([[[150.0, 100.0]]]), keypoint_scores=np.ones((1, 1))
    )
    sample.pred_fields = PixelData(heatmaps=heatmaps)
    sample.gt_instances = InstanceData(bboxes=np.array([[104.0, 22.0, 296.0, 278.0]]))
    return sample


def test_cells_are_drawn_where_the_codec_puts_them():
    codec = KEYPOINT_CODECS.build(
        dict(type='RandomizedRoundingHeatmap', input_size=(192, 256), heatmap_size=(24, 32))
    )
    image = np.zeros((300, 400, 3), np.uint8)
    for column, row in [(0, 0), (7, 11), (23, 31)]:
        figure = draw_heatmap_figure(image, one_hot_sample(column, row), topk=1, zoom_cells=0)
        panel = figure.axes[1]
        squares, cross = panel.collections
        # The cell centre in crop pixels (multiplied first, so the last one is exactly w-1).
        point = [column * 191 / 23, row * 255 / 31]
        np.testing.assert_allclose(squares.get_offsets(), [point], rtol=1e-12)
        # The codec encodes that crop pixel as all mass on that cell.
        heatmap = codec.encode(np.array([[point]]))['heatmaps'][0]
        assert heatmap[row, column] == pytest.approx(1.0)
        # The map spans half a cell beyond the outer cell centres.
        _, overlay = panel.get_images()
        half = np.array([191 / 23, 255 / 31]) / 2
        np.testing.assert_allclose(
            overlay.get_extent(), [-half[0], 191 + half[0], 255 + half[1], -half[1]], rtol=1e-12
        )
        # The decoded keypoint is the image point (150, 100) in the crop: (46, 78).
        np.testing.assert_allclose(cross.get_offsets(), [[46.0, 78.0]], rtol=1e-12)


def test_top_cells_ranks_cells_and_ignores_nan():
    heatmap = np.array([[0.1, np.nan, 0.4], [0.3, 0.05, 0.15]])
    np.testing.assert_array_equal(top_cells(heatmap, 3), [[2, 0], [0, 1], [2, 1]])
    assert top_cells(heatmap, 10).shape == (6, 2)
    with pytest.raises(ValueError, match='topk must be at least 1, got 0'):
        top_cells(heatmap, 0)


def test_keypoint_choice_and_bad_arguments(tiny_model):
    assert choose_keypoints(98) == [0, 14, 28, 42, 55, 69, 83, 97]
    assert choose_keypoints(5) == [0, 1, 2, 3, 4]
    assert choose_keypoints(17, [3, 16]) == [3, 16]
    with pytest.raises(ValueError, match=r'keypoint indices \[17, -1\] are out of range for 17'):
        choose_keypoints(17, [0, 17, -1])
    image = np.zeros((64, 48, 3), np.uint8)
    for bbox in [(10, 10, 5, 20), (0, 0, 10), (0, 0, np.nan, 10)]:
        with pytest.raises(ValueError, match='bbox must be'):
            predict_with_heatmaps(tiny_model, image, bbox)


def test_zoom_window_is_centred_and_kept_inside_the_crop():
    half = np.array([24.0, 12.0])
    assert zoom_window(np.array([100.0, 60.0]), half, (256, 192)) == ((76, 124), (72, 48))
    # Near a border the window slides inwards instead of showing outside the crop.
    assert zoom_window(np.array([3.0, 190.0]), half, (256, 192)) == ((-0.5, 47.5), (191.5, 167.5))
    # A window larger than the crop is the crop; a NaN position takes the crop's centre.
    assert zoom_window(np.array([np.nan, 5.0]), np.array([500.0, 1.0]), (8, 8)) == (
        (-0.5, 7.5),
        (6.0, 4.0),
    )
