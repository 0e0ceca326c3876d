"""The randomized-rounding codec, tested as the paper's theorems: lossless, unbiased, exact
end to end through MMPose's real top-down transforms and flip testing."""

import re

import numpy as np
import pytest
import torch
from mmpose.datasets.transforms import (
    GenerateTarget,
    GetBBoxCenterScale,
    PackPoseInputs,
    RandomFlip,
    TopdownAffine,
)
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import KEYPOINT_CODECS
from mmpose.structures.keypoint import flip_keypoints

import h3r_mmpose  # noqa: F401  (registers the codec)
from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.codecs.utils import DECODERS, input_to_grid, max_cells

STRIDES = (1, 2, 4, 8, 16)
INPUT_SIZES = ((192, 256), (256, 256))


def build(input_size=(192, 256), stride=4, **kwargs) -> RandomizedRoundingHeatmap:
    heatmap_size = (input_size[0] // stride, input_size[1] // stride)
    return KEYPOINT_CODECS.build(
        dict(
            type='RandomizedRoundingHeatmap',
            input_size=input_size,
            heatmap_size=heatmap_size,
            **kwargs,
        )
    )


def frame_points(input_size, num_random: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform sub-pixel points over the closed frame plus its corners and edges.

    Returns:
        np.ndarray: shape (1, K, 2).
    """
    w, h = input_size
    corners_and_edges = np.array(
        [
            [0, 0],
            [w - 1, 0],
            [0, h - 1],
            [w - 1, h - 1],
            [w - 1, h / 2 + 0.37],
            [w / 2 + 0.21, h - 1],
            [w - 1.5, h - 1.25],
            [w - 1 - 1e-6, h - 1 - 1e-6],
        ]
    )
    uniform = rng.uniform([0, 0], [w - 1, h - 1], size=(num_random, 2))
    return np.concatenate([corners_and_edges, uniform])[None]


def support_cells(codec: RandomizedRoundingHeatmap, point: np.ndarray) -> np.ndarray:
    """The four (col, row) cells around a point, in the codec's grid."""
    grid = input_to_grid(point, codec.input_size, codec.heatmap_size)
    low = np.minimum(np.floor(grid), np.asarray(codec.heatmap_size) - 2)
    return np.array([low, low + [1, 0], low + [0, 1], low + 1], dtype=int)


# --------------------------------------------------------------------------- lossless
#: Input and heatmap sizes: every integer stride at two input sizes, then sizes without one
#: (coarse, fine, finer than the input, the smallest map).
SIZES = [
    *(((w, h), (w // stride, h // stride)) for w, h in INPUT_SIZES for stride in STRIDES),
    ((301, 199), (37, 23)),
    ((7, 9), (80, 12)),
    ((400, 5), (3, 61)),
    ((3, 3), (2, 2)),
]
#: Each decoder the table calls lossless, with its defaults, and the smallest mean-shift window
#: that holds the 2x2 support.
LOSSLESS_CASES = [
    *(dict(decoder=name) for name, entry in DECODERS.items() if entry.lossless),
    dict(decoder='mean_shift', radius=1.5),
]


@pytest.mark.parametrize('sizes', SIZES, ids=lambda sizes: f'{sizes[0]}->{sizes[1]}')
@pytest.mark.parametrize('decoding', LOSSLESS_CASES, ids=lambda kwargs: str(kwargs))
def test_expected_target_round_trip_is_lossless(sizes, decoding):
    """Exact over the closed frame, borders and corners included, at any stride."""
    input_size, heatmap_size = sizes
    codec = RandomizedRoundingHeatmap(input_size, heatmap_size, 'expected', **decoding)
    keypoints = frame_points(input_size, 500, np.random.default_rng(sum(heatmap_size)))
    encoded = codec.encode(keypoints)
    decoded, scores = codec.decode(encoded['heatmaps'])
    assert np.abs(decoded - keypoints).max() < 1e-4
    np.testing.assert_allclose(scores, 1.0, atol=1e-6)
    np.testing.assert_array_equal(encoded['keypoint_weights'], 1.0)


def test_topk_4_is_the_smallest_lossless_value():
    keypoints = frame_points((192, 256), 500, np.random.default_rng(0))
    errors = {}
    for topk in (3, 4):
        codec = build(stride=8, decoder='topk', topk=topk)
        decoded, _ = codec.decode(codec.encode(keypoints)['heatmaps'])
        errors[topk] = np.abs(decoded - keypoints).max()
    assert errors[4] < 1e-4
    assert errors[3] > 0.1  # a corner of the 2x2 support is dropped


def test_expected_target_is_the_bilinear_support():
    codec = build(input_size=(9, 9), stride=1)  # scale 1: grid cells are pixels
    heatmaps = codec.encode(np.array([[[2.25, 5.5]]]))['heatmaps'][0]
    expected = np.zeros((9, 9))
    expected[5, 2], expected[5, 3] = 0.75 * 0.5, 0.25 * 0.5
    expected[6, 2], expected[6, 3] = 0.75 * 0.5, 0.25 * 0.5
    np.testing.assert_allclose(heatmaps, expected, atol=1e-7)


def test_last_row_and_column_keep_their_support_inside_the_map():
    codec = build(input_size=(9, 5), stride=1)
    heatmaps = codec.encode(np.array([[[8.0, 4.0]]]))['heatmaps'][0]
    assert heatmaps[4, 8] == 1.0 and heatmaps.sum() == 1.0


# --------------------------------------------------------------------------- unbiased
def test_stochastic_draws_are_unbiased_one_hot_on_the_support():
    codec = build(stride=8, target_type='stochastic')
    keypoints = np.array([[[10.3, 20.7], [100.05, 3.9], [191.0, 128.5], [57.5, 255.0]]])
    num_draws = 4000
    np.random.seed(0)
    draws = np.stack([codec.encode(keypoints)['heatmaps'] for _ in range(num_draws)])

    # Each draw is one-hot on the 2x2 support.
    assert np.all(draws.sum(axis=(2, 3)) == 1.0)
    assert set(np.unique(draws)) == {0.0, 1.0}
    for k, point in enumerate(keypoints[0]):
        cells = support_cells(codec, point)
        on_support = draws[:, k, cells[:, 1], cells[:, 0]]
        assert np.all(on_support.sum(axis=1) == 1.0)

        # Each neighbour is drawn with its bilinear probability (4-sigma binomial bound).
        fx, fy = input_to_grid(point, codec.input_size, codec.heatmap_size) - cells[0]
        probabilities = np.array([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
        frequencies = on_support.mean(axis=0)
        bound = 4 * np.sqrt(probabilities * (1 - probabilities) / num_draws) + 1e-12
        assert np.all(np.abs(frequencies - probabilities) <= bound)

    # The mean decoded draw converges to the keypoint: per axis the draw variance is
    # (cell size)^2 * f * (1 - f), so the mean of n draws is within 4 sigma of x.
    decoded = np.stack([codec.decode(d)[0][0] for d in draws])  # (n, K, 2)
    grid = input_to_grid(keypoints[0], codec.input_size, codec.heatmap_size)
    cell_size = 1 / input_to_grid(np.ones(2), codec.input_size, codec.heatmap_size)
    fraction = grid - np.floor(grid)
    sigma = cell_size * np.sqrt(fraction * (1 - fraction) / num_draws)
    bias = np.abs(decoded.mean(axis=0) - keypoints[0])
    assert np.all(bias <= 4 * sigma + 1e-4)
    # A single draw is not the keypoint: the randomness is real.
    assert decoded.std(axis=0)[0, 0] > 0.1 * cell_size[0]


def test_seeded_stochastic_encoding_reproduces_bit_for_bit():
    codec = build(stride=4, target_type='stochastic')
    keypoints = frame_points((192, 256), 50, np.random.default_rng(1))
    np.random.seed(42)
    first = codec.encode(keypoints)['heatmaps']
    np.random.seed(42)
    again = codec.encode(keypoints)['heatmaps']
    np.random.seed(43)
    other = codec.encode(keypoints)['heatmaps']
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()


# --------------------------------------------------------------------------- decoding
@pytest.mark.parametrize('decoder', list(DECODERS))
def test_decode_batch_decode_and_decode_tensor_agree(decoder):
    """``decode`` is one sample of ``batch_decode``, which is ``decode_tensor`` in numpy with
    MMPose's instance axis."""
    codec = build(stride=4, decoder=decoder)
    batch = torch.rand(2, 3, 64, 48, generator=torch.Generator().manual_seed(0)) ** 8
    keypoints, scores = codec.decode_tensor(batch)
    assert keypoints.shape == (2, 3, 2) and scores.shape == (2, 3)
    batch_keypoints, batch_scores = codec.batch_decode(batch)
    assert batch_keypoints.shape == (2, 1, 3, 2) and batch_scores.shape == (2, 1, 3)
    np.testing.assert_allclose(batch_keypoints[:, 0], keypoints.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(batch_scores[:, 0], scores.numpy(), rtol=0, atol=1e-6)
    for sample in range(2):
        sample_keypoints, sample_scores = codec.decode(batch[sample].numpy())
        np.testing.assert_array_equal(sample_keypoints, batch_keypoints[sample])
        np.testing.assert_array_equal(sample_scores, batch_scores[sample])


def test_decode_is_the_topk_mean_around_the_peak():
    codec = build(input_size=(9, 9), stride=1, decoder='topk', topk=2)
    heatmap = np.zeros((1, 9, 9), dtype=np.float32)
    heatmap[0, 4, 4], heatmap[0, 4, 5], heatmap[0, 6, 4] = 0.6, 0.3, 0.1
    heatmap[0, 0, 0] = 0.55  # a second mode far away is not averaged in
    keypoints, scores = codec.decode(heatmap)
    np.testing.assert_allclose(keypoints[0, 0], [(4 * 0.6 + 5 * 0.3) / 0.9, 4.0], atol=1e-6)
    np.testing.assert_allclose(scores[0, 0], 0.9, atol=1e-6)


@pytest.mark.parametrize('fill', [0.0, -1.0, np.nan, -np.inf])
def test_degenerate_channel_decodes_to_finite_centre_with_zero_score(fill):
    codec = build(stride=4)
    heatmaps = codec.encode(np.array([[[30.5, 40.25], [100.0, 200.0]]]))['heatmaps']
    heatmaps[0] = fill
    keypoints, scores = codec.decode(heatmaps)
    np.testing.assert_array_equal(keypoints[0, 0], [95.5, 127.5])
    assert scores[0, 0] == 0.0
    # The other channel is untouched.
    np.testing.assert_allclose(keypoints[0, 1], [100.0, 200.0], atol=1e-4)


def test_nan_cells_beside_a_valid_peak_count_as_zero():
    codec = build(input_size=(9, 9), stride=1)
    heatmap = np.zeros((1, 9, 9), dtype=np.float32)
    heatmap[0, 3, 3], heatmap[0, 3, 4], heatmap[0, 2, 2] = 0.5, 0.5, np.nan
    keypoints, scores = codec.decode(heatmap)
    np.testing.assert_allclose(keypoints[0, 0], [3.5, 3.0], atol=1e-6)
    assert scores[0, 0] == pytest.approx(1.0)


# --------------------------------------------------------------------------- bad data
def test_unencodable_keypoints_get_zero_weight_and_zero_target():
    codec = build(stride=4)
    keypoints = np.array(
        [
            [
                [10.0, 10.0],  # visible, fine
                [20.0, 20.0],  # invisible
                [np.nan, 5.0],  # NaN coordinate
                [np.inf, 5.0],  # inf coordinate
                [-0.01, 5.0],  # left of the frame
                [191.01, 5.0],  # right of the frame (x > w - 1)
                [5.0, 255.5],  # below the frame
                [30.0, 30.0],  # NaN visibility
                [40.0, 40.0],
            ]
        ]
    )  # fractional visibility is kept as weight
    visible = np.array([[1, 0, 1, 1, 1, 1, 1, np.nan, 0.5]])
    encoded = codec.encode(keypoints, visible)
    np.testing.assert_array_equal(encoded['keypoint_weights'], [[1, 0, 0, 0, 0, 0, 0, 0, 0.5]])
    assert encoded['keypoint_weights'].dtype == np.float32
    channel_sums = encoded['heatmaps'].sum(axis=(1, 2))
    np.testing.assert_allclose(channel_sums, [1, 0, 0, 0, 0, 0, 0, 0, 1], atol=1e-6)
    assert np.all(np.isfinite(encoded['heatmaps']))


def test_missing_visibility_means_all_visible():
    codec = build(stride=4)
    encoded = codec.encode(np.array([[[10.0, 10.0], [50.0, 60.0]]]))
    np.testing.assert_array_equal(encoded['keypoint_weights'], [[1.0, 1.0]])


# --------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(input_size=(192,), heatmap_size=(48, 64)), r'input_size .* got \(192,\)'),
        (dict(input_size=(192, 256), heatmap_size=(1, 64)), r'heatmap_size .* got \(1, 64\)'),
        (dict(input_size=(192.0, 256), heatmap_size=(48, 64)), r'input_size .* got \(192.0, 256\)'),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), decoder='topk', topk=0),
            r'topk .* got 0',
        ),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), decoder='topk', topk=26),
            r'topk .* 1 to 25 .* got 26',
        ),
        (
            dict(input_size=(8, 8), heatmap_size=(2, 2), decoder='topk', topk=5),
            r'topk .* 1 to 4 .* got 5',
        ),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), topk=4),
            r"topk is not used by decoder 'mean_shift', got topk=4 \(an argument of 'topk', "
            r"'paper'\)",
        ),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), decoder='topk', radius=2.0),
            r"radius is not used by decoder 'topk', got radius=2.0 \(an argument of "
            r"'mean_shift'\)",
        ),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), decoder='paper', topk=3073),
            r'topk .* 1 to 3072 \(the cells of the 48x64 map\), got 3073',
        ),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), target_type='gaussian'),
            r"target_type .* got 'gaussian'",
        ),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), decoder='dark'),
            rf'decoder must be one of {re.escape(str(tuple(DECODERS)))}, got \'dark\'',
        ),
        (dict(input_size=(192, 256), heatmap_size=(48, 64), radius=1.0), r'radius .* got 1.0'),
        (
            dict(input_size=(192, 256), heatmap_size=(48, 64), radius=float('nan')),
            r'radius .* got nan',
        ),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomizedRoundingHeatmap(**kwargs)


def test_an_argument_of_no_decoder_is_a_type_error():
    """A typo, or a stock codec's argument left in a config (MSRAHeatmap's sigma)."""
    with pytest.raises(TypeError, match=r'sigma is not an argument of any decoder .* got sigma=2'):
        RandomizedRoundingHeatmap((192, 256), (48, 64), sigma=2)


def test_bad_keypoints_raise():
    codec = build(stride=4)
    with pytest.raises(ValueError, match=r'one instance .* N=2'):
        codec.encode(np.zeros((2, 17, 2)))
    with pytest.raises(ValueError, match=r'keypoints must have shape \(1, K, 2\), got \(17, 2\)'):
        codec.encode(np.zeros((17, 2)))
    with pytest.raises(ValueError, match=r'keypoints must have shape .* got \(1, 17, 3\)'):
        codec.encode(np.zeros((1, 17, 3)))
    with pytest.raises(
        ValueError,
        match=r'keypoints_visible must have shape \(1, 17\), got '
        r'\(17,\)',
    ):
        codec.encode(np.zeros((1, 17, 2)), np.ones(17))


def test_bad_heatmaps_raise():
    codec = build(stride=4)
    with pytest.raises(ValueError, match=r'encoded must have shape \(K, H, W\), got \(64, 48\)'):
        codec.decode(np.zeros((64, 48)))
    with pytest.raises(ValueError, match=r'\(W, H\)=\(24, 32\) do not match .* \(48, 64\)'):
        codec.batch_decode(torch.zeros(1, 17, 32, 24))


# --------------------------------------------------------------------------- end to end
def topdown_sample(rng: np.random.Generator, num_keypoints: int = 17) -> dict:
    """An original-image instance whose keypoints all land inside the input frame."""
    image = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    bbox = np.array([[150.3, 80.7, 430.9, 410.2]], dtype=np.float32)
    keypoints = rng.uniform([190, 130], [390, 360], size=(1, num_keypoints, 2))
    return dict(
        img=image,
        img_shape=image.shape[:2],
        bbox=bbox,
        bbox_score=np.ones(1, dtype=np.float32),
        keypoints=keypoints.astype(np.float32),
        keypoints_visible=np.ones((1, num_keypoints), dtype=np.float32),
        flip_indices=list(range(num_keypoints))[::-1],
    )


def to_original_image(keypoints: np.ndarray, results: dict, input_size) -> np.ndarray:
    """TopdownPoseEstimator.add_pred_to_datasample's mapping back to the image."""
    centre, scale = results['input_center'], results['input_scale']
    return keypoints / np.asarray(input_size) * scale + centre - 0.5 * scale


@pytest.mark.parametrize('stride', (4, 16))
def test_end_to_end_through_topdown_affine(stride):
    input_size = (192, 256)
    codec = build(input_size, stride)
    sample = topdown_sample(np.random.default_rng(stride))
    original = sample['keypoints'].astype(np.float64).copy()
    results = TopdownAffine(input_size=input_size)(GetBBoxCenterScale()(sample))
    decoded, _ = codec.decode(codec.encode(results['transformed_keypoints'])['heatmaps'])
    recovered = to_original_image(decoded, results, input_size)
    assert np.abs(recovered - original).max() < 1e-3


def test_end_to_end_through_a_horizontal_flip_and_back():
    input_size = (192, 256)
    codec = build(input_size, stride=8)
    sample = topdown_sample(np.random.default_rng(7))
    original = sample['keypoints'].astype(np.float64).copy()
    image_width = sample['img'].shape[1]
    flip = RandomFlip(prob=1.0, direction='horizontal')
    results = TopdownAffine(input_size=input_size)(flip(GetBBoxCenterScale()(sample)))
    decoded, _ = codec.decode(codec.encode(results['transformed_keypoints'])['heatmaps'])
    recovered_flipped = to_original_image(decoded, results, input_size)
    recovered, _ = flip_keypoints(
        recovered_flipped,
        np.ones(recovered_flipped.shape[:2]),
        (image_width, 480),
        sample['flip_indices'],
    )
    assert np.abs(recovered - original).max() < 1e-3


def test_flip_test_is_exact_without_shift_heatmap():
    """The heatmap of the flipped input, flipped back, decodes to the original keypoints."""
    input_size = (192, 256)
    codec = build(input_size, stride=4)
    keypoints = frame_points(input_size, 200, np.random.default_rng(3))
    flip_indices = list(range(keypoints.shape[1]))[::-1]
    flipped_keypoints, _ = flip_keypoints(
        keypoints.copy(), np.ones(keypoints.shape[:2]), input_size, flip_indices
    )
    flipped_input_heatmaps = torch.from_numpy(codec.encode(flipped_keypoints)['heatmaps'])[None]
    flipped_back = flip_heatmaps(
        flipped_input_heatmaps, flip_mode='heatmap', flip_indices=flip_indices, shift_heatmap=False
    )
    decoded, _ = codec.batch_decode(flipped_back)
    assert np.abs(decoded[0] - keypoints).max() < 1e-4


def test_generate_target_and_pack_pose_inputs_on_a_real_sample(coco_sample):
    input_size, heatmap_size = (192, 256), (48, 64)
    codec = dict(
        type='RandomizedRoundingHeatmap',
        input_size=input_size,
        heatmap_size=heatmap_size,
        target_type='stochastic',
    )
    results = TopdownAffine(input_size=input_size)(GetBBoxCenterScale()(coco_sample))
    results = GenerateTarget(encoder=codec)(results)
    packed = PackPoseInputs()(results)
    data_sample = packed['data_samples']
    heatmaps = data_sample.gt_fields.heatmaps
    weights = data_sample.gt_instance_labels.keypoint_weights
    assert tuple(heatmaps.shape) == (17, 64, 48)
    assert tuple(weights.shape) == (1, 17)
    visible = results['keypoints_visible'][0] > 0
    np.testing.assert_array_equal(heatmaps.sum(dim=(1, 2)).numpy() > 0, weights[0].numpy() > 0)
    assert visible.any()  # the coco_sample fixture picks an instance with visible keypoints
    assert weights[0][torch.from_numpy(visible)].min() > 0
    assert 'keypoints' in data_sample.gt_instances  # ground truth for metrics survives


@pytest.mark.parametrize('height, width', [(64, 48), (8, 4), (9, 9), (17, 13)])
def test_lane_wise_maximum_search_finds_a_maximum(height, width):
    """The vectorised lane search (used when H*W splits into 32/64 lanes) and the plain
    ``max`` fallback both return the maximum and an index holding it."""
    maps = torch.rand(300, height * width)
    maps[:5] = 0.5  # ties everywhere
    maps[5:10, -1] = 2.0  # the maximum in the very last cell
    maxima, indices = max_cells(maps)
    torch.testing.assert_close(maxima, maps.max(dim=1).values, rtol=0, atol=0)
    torch.testing.assert_close(maps.gather(1, indices[:, None])[:, 0], maxima, rtol=0, atol=0)


def test_nan_anywhere_in_a_large_map_does_not_hide_its_peak():
    codec = build(stride=4)  # 48x64 maps: the lane-wise search path
    keypoints = np.array([[[100.25, 60.5], [10.0, 20.0]]])
    heatmaps = codec.encode(keypoints)['heatmaps']
    heatmaps[0, 50, 40] = np.nan
    heatmaps[1, 0, 47] = np.inf
    decoded, scores = codec.decode(heatmaps)
    np.testing.assert_allclose(decoded[0], keypoints[0], atol=1e-4)
    np.testing.assert_allclose(scores[0], 1.0, atol=1e-6)
