"""The decoders of the randomized-rounding codec and their table: mean shift, the 5x5 top-k
and the paper's global top-k softmax, exact where the maths says so, hand-computed cases, the
robustness on blurred maps; the table's defaults, checks and dispatch. The properties every
decoder shares (lossless round trip, decode == batch_decode, no NaN) are tested over the table
in test_randomized_rounding_heatmap.py and test_codec_properties.py."""

import numpy as np
import pytest
import torch

import h3r_mmpose  # noqa: F401  (registers the codec)
from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.codecs.utils import (
    DECODERS,
    DEFAULT_DECODER,
    bilinear_support,
    block_topk_mean,
    decoder_argument_names,
    decoders_using,
    expected_heatmaps,
    global_topk_softmax,
    input_to_grid,
    mean_shift,
)
from h3r_mmpose.codecs.utils.mean_shift_decoding import MEAN_SHIFT_STEPS


def codec(stride=4, input_size=(192, 256), **kwargs) -> RandomizedRoundingHeatmap:
    heatmap_size = (input_size[0] // stride, input_size[1] // stride)
    return RandomizedRoundingHeatmap(input_size, heatmap_size, **kwargs)


def frame_points(input_size, num: int, seed: int = 0) -> np.ndarray:
    """Uniform points over the closed frame plus its four corners, shape (1, K, 2)."""
    w, h = input_size
    corners = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], dtype=np.float64)
    uniform = np.random.default_rng(seed).uniform([0, 0], [w - 1, h - 1], size=(num, 2))
    return np.concatenate([corners, uniform])[None]


def blurred(heatmaps: torch.Tensor, sigma: float) -> torch.Tensor:
    """Maps (N, H, W) convolved with a Gaussian of ``sigma`` cells (zero padding)."""
    radius = int(np.ceil(4 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    maps = heatmaps.double()[:, None]
    maps = torch.nn.functional.conv2d(maps, kernel.view(1, 1, 1, -1), padding=(0, radius))
    maps = torch.nn.functional.conv2d(maps, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    return maps[:, 0]


# --------------------------------------------------------------------------- mean shift
def test_mean_shift_hand_computed_fixed_point_iteration():
    """One row holding 0.5 at column 4, 0.3 at 5 and 0.2 at 6, radius 1.5 (cells count by
    their overlap with [mu - 1.5, mu + 1.5], i.e. clip(2 - |i - mu|, 0, 1)):
    mu0 = 4 (the peak): column 6 is outside, mu1 = (0.5*4 + 0.3*5) / 0.8 = 4.375; then
    column 6 counts with weight w = mu - 4, so mu <- (3.5 + 1.2 w) / (0.8 + 0.2 w)."""
    heatmap = torch.zeros(1, 9, 12)
    heatmap[0, 4, 4], heatmap[0, 4, 5], heatmap[0, 4, 6] = 0.5, 0.3, 0.2
    estimates = [4.375]
    for _ in range(MEAN_SHIFT_STEPS):
        weight = estimates[-1] - 4
        estimates.append((3.5 + 1.2 * weight) / (0.8 + 0.2 * weight))
    grid_coords, mass = mean_shift(heatmap, radius=1.5)
    np.testing.assert_allclose(grid_coords[0].numpy(), [estimates[-1], 4.0], atol=1e-6)
    # The mass is what the last window (centred on the previous estimate) held.
    assert float(mass[0]) == pytest.approx(0.8 + 0.2 * (estimates[-2] - 4), abs=1e-6)
    # The iteration approaches the fixed point 3 + sqrt(2.5) (0.2 mu^2 - 1.2 mu + 1.3 = 0).
    assert abs(estimates[-1] - (3 + np.sqrt(2.5))) < abs(estimates[0] - (3 + np.sqrt(2.5))) / 10


def test_mean_shift_reads_blurred_maps_without_the_topk_pull_to_the_peak():
    """Blur the expected target by one cell (a trained network's uncertainty): the top-4
    mean is pulled towards the peak cell, the mean shift is not (seeded, 2000 points)."""
    heatmap_size = (48, 64)
    points = np.random.default_rng(1).uniform([4, 4], [43, 59], size=(2000, 2))
    corner, fraction = bilinear_support(points, heatmap_size)
    maps = blurred(torch.from_numpy(expected_heatmaps(corner, fraction, heatmap_size)), 1.0)
    shift_error = np.linalg.norm(mean_shift(maps, 2.0)[0].numpy() - points, axis=1).mean()
    topk_error = np.linalg.norm(block_topk_mean(maps, 4)[0].numpy() - points, axis=1).mean()
    assert shift_error < 0.05  # cells
    assert topk_error > 3 * shift_error


def test_mean_shift_ignores_a_distant_second_mode():
    heatmap = torch.zeros(1, 16, 16)
    heatmap[0, 8, 8], heatmap[0, 8, 9] = 0.5, 0.25
    heatmap[0, 1, 1] = 0.4  # another mode far away
    grid_coords, mass = mean_shift(heatmap, radius=2.0)
    np.testing.assert_allclose(grid_coords[0].numpy(), [8 + 0.25 / 0.75, 8.0], atol=1e-9)
    assert float(mass[0]) == pytest.approx(0.75)


# --------------------------------------------------------------------------- paper decoder
def test_paper_decoder_weights_the_selected_cells_by_their_odds():
    """f = 0.25 along x: p = (0.75, 0.25), odds (3, 1/3), softmax of the log-odds gives
    weights (0.9, 0.1): the decoded point is c + 0.1, not c + 0.25 (a bias of 0.15 cells)."""
    heatmap = torch.zeros(1, 8, 8, dtype=torch.float64)
    heatmap[0, 3, 2], heatmap[0, 3, 3] = 0.75, 0.25
    grid_coords, score = global_topk_softmax(heatmap, topk=2)
    np.testing.assert_allclose(grid_coords[0].numpy(), [2.1, 3.0], atol=1e-9)
    assert float(score[0]) == pytest.approx(0.5)
    # With top-9 the other seven cells enter with the clipped probability 1e-6: negligible.
    grid_coords, _ = global_topk_softmax(heatmap, topk=9)
    np.testing.assert_allclose(grid_coords[0].numpy(), [2.1, 3.0], atol=1e-4)


def test_paper_decoder_is_exact_on_cells_and_half_way_and_biased_between():
    model = codec(stride=1, input_size=(16, 16), decoder='paper', topk=9)
    keypoints = np.array([[[3.0, 4.0], [5.5, 6.0], [7.5, 8.5], [2.25, 9.0], [10.75, 3.0]]])
    decoded, _ = model.decode(model.encode(keypoints)['heatmaps'])
    np.testing.assert_allclose(decoded[0, :3], keypoints[0, :3], atol=1e-4)
    # Odds weighting pulls quarter positions 0.15 cells towards the nearer cell.
    np.testing.assert_allclose(decoded[0, 3:], [[2.1, 9.0], [10.9, 3.0]], atol=1e-4)


def test_paper_decoder_reads_a_one_hot_draw_as_its_cell():
    model = codec(stride=4, decoder='paper', topk=9, target_type='stochastic')
    np.random.seed(0)
    keypoints = frame_points(model.input_size, 50)
    heatmaps = model.encode(keypoints)['heatmaps']
    drawn = np.stack(np.unravel_index(heatmaps.reshape(len(heatmaps), -1).argmax(1), (64, 48)))
    decoded, _ = model.decode(heatmaps)
    cells = input_to_grid(decoded[0], model.input_size, model.heatmap_size)
    np.testing.assert_allclose(cells, drawn[::-1].T, atol=1e-3)


# --------------------------------------------------------------------------- the table
def test_the_default_decoder_is_in_the_table_and_is_the_codecs():
    assert DEFAULT_DECODER in DECODERS
    assert codec().decoder == DEFAULT_DECODER


@pytest.mark.parametrize('name', decoder_argument_names())
def test_an_argument_name_is_read_one_way_by_every_decoder_that_takes_it(name):
    """The converter's command line has one --name for all of them."""
    parsers = {
        argument.parse
        for entry in DECODERS.values()
        for argument in entry.arguments
        if argument.name == name
    }
    assert len(parsers) == 1 and parsers <= {int, float}
    assert decoders_using(name)


@pytest.mark.parametrize('decoder', list(DECODERS))
def test_codec_takes_a_decoders_defaults_and_exposes_every_argument(decoder):
    model = codec(stride=4, decoder=decoder)
    entry = DECODERS[decoder]
    defaults = {argument.name: argument.default for argument in entry.arguments}
    assert model.decoder_arguments == defaults
    for name in decoder_argument_names():  # e.g. codec.radius, None unless it is used
        assert getattr(model, name) == defaults.get(name)
    # A given value replaces the default, checked: the default passes its own check.
    for argument in entry.arguments:
        given = codec(stride=4, decoder=decoder, **{argument.name: argument.default})
        assert given.decoder_arguments == defaults
        assert argument.check(argument.default, (48, 64)) == argument.default


@pytest.mark.parametrize('decoder', list(DECODERS))
def test_decode_tensor_calls_the_decoders_function_with_its_arguments(decoder):
    model = codec(stride=4, decoder=decoder)
    maps = torch.rand(2, 3, 64, 48, generator=torch.Generator().manual_seed(1)) ** 8
    grid_coords, scores = DECODERS[decoder].function(
        maps.reshape(-1, 64, 48), **model.decoder_arguments
    )
    keypoints, decoded_scores = model.decode_tensor(maps)
    step = (np.array(model.input_size) - 1) / (np.array(model.heatmap_size) - 1)
    np.testing.assert_allclose(
        keypoints.reshape(-1, 2).numpy(), grid_coords.numpy() * step, rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(decoded_scores.reshape(-1).numpy(), scores.numpy(), rtol=0)


@pytest.mark.parametrize(
    'decoder, name',
    [
        (decoder, name)
        for decoder in DECODERS
        for name in decoder_argument_names()
        if decoder not in decoders_using(name)
    ],
)
def test_an_argument_of_another_decoder_raises_naming_it(decoder, name):
    user = DECODERS[decoders_using(name)[0]]
    value = next(argument.default for argument in user.arguments if argument.name == name)
    with pytest.raises(ValueError, match=rf'{name} is not used by decoder {decoder!r}, got'):
        codec(stride=4, decoder=decoder, **{name: value})
