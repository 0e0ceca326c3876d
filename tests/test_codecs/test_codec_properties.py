"""Properties of the randomized-rounding codec over generated inputs (Hypothesis).

Any input and heatmap size, any keypoints (inside, on the borders, outside, NaN, inf) and
any visibility: the weights and zero channels are as documented; and whatever the maps hold,
every decoder of the table neither raises nor returns NaN or a point outside the frame. The
examples are derandomized, so every run checks the same cases. (Hypothesis found the one
caveat: a point within float rounding outside the frame, e.g. x = -5e-324, may count as on its
border.) The lossless round trip is tested over sizes without an integer stride in
``test_randomized_rounding_heatmap.py``.
"""

import math

import numpy as np
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from mmpose.registry import KEYPOINT_CODECS

import h3r_mmpose  # noqa: F401  (registers the codec)
from h3r_mmpose.codecs.utils import DECODERS

PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
sizes = st.tuples(st.integers(2, 400), st.integers(2, 400))
heatmap_sizes = st.tuples(st.integers(2, 80), st.integers(2, 80))
target_types = st.sampled_from(['expected', 'stochastic'])
visibilities = st.one_of(
    st.sampled_from([0.0, 1.0, 2.0, 0.5, -1.0, math.nan]), st.floats(-2, 2, width=32)
)
decoders = st.sampled_from(list(DECODERS))


def build(input_size, heatmap_size, target_type='expected', **decoding):
    return KEYPOINT_CODECS.build(
        dict(
            type='RandomizedRoundingHeatmap',
            input_size=input_size,
            heatmap_size=heatmap_size,
            target_type=target_type,
            **decoding,
        )
    )


def cells_per_pixel(codec) -> np.ndarray:
    """The corner-to-corner grid: heatmap cells per input pixel, ``(W-1)/(w-1)`` per axis."""
    return (np.asarray(codec.heatmap_size) - 1) / (np.asarray(codec.input_size) - 1)


def coordinates(length: int) -> st.SearchStrategy:
    """One coordinate along a frame axis of ``length`` pixels, ``[0, length-1]`` closed:
    inside, exactly on either border, just outside, far outside, or not finite."""
    last = float(length - 1)
    return st.one_of(
        st.floats(0, last),
        st.sampled_from([0.0, last, -1e-3, last + 1e-3, -5.0, last + 5.0]),
        st.sampled_from([np.nextafter(last, math.inf), np.nextafter(0.0, -1.0)]),
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.floats(-1e6, 1e6),
    )


@st.composite
def encode_cases(draw):
    """A codec and one instance's keypoints (1, K, 2) and visibility (1, K)."""
    input_size, heatmap_size = draw(sizes), draw(heatmap_sizes)
    num_keypoints = draw(st.integers(1, 6))
    points = [
        [draw(coordinates(input_size[0])), draw(coordinates(input_size[1]))]
        for _ in range(num_keypoints)
    ]
    visible = [draw(visibilities) for _ in range(num_keypoints)]
    codec = build(input_size, heatmap_size, draw(target_types))
    return codec, np.array([points]), np.array([visible], dtype=np.float32)


#: Points this close outside the frame may count as on its border: the codec decides in
#: heatmap cells, where a point 1e-300 px outside rounds onto the border.
BORDER_ROUNDING_PX = 1e-9


def encodable(codec, keypoints: np.ndarray, visible: np.ndarray, margin: float = 0.0):
    """The documented rule: visible (> 0, not NaN), finite and inside the closed frame
    ``[0, w-1] x [0, h-1]`` widened by ``margin`` px.

    Returns:
        np.ndarray: bool, shape (K,).
    """
    frame = np.asarray(codec.input_size, dtype=np.float64) - 1
    with np.errstate(invalid='ignore'):
        inside = np.all(np.isfinite(keypoints[0]) & (keypoints[0] >= -margin), axis=1)
        inside &= np.all(keypoints[0] <= frame + margin, axis=1)
        return inside & (np.nan_to_num(visible[0], nan=0.0) > 0)


def encoded_keypoints(codec, keypoints, visible, weights) -> np.ndarray:
    """Which keypoints the codec encoded, checked against the rule: all those surely inside,
    none of those surely outside; a point within rounding of the border may go either way."""
    surely = encodable(codec, keypoints, visible)
    possibly = encodable(codec, keypoints, visible, margin=BORDER_ROUNDING_PX)
    encoded = weights[0] > 0
    assert np.all(encoded[surely]) and not np.any(encoded[~possibly])
    return encoded


@PROPERTY_SETTINGS
@given(encode_cases())
def test_weights_and_channels_are_as_documented(case):
    codec, keypoints, visible = case
    encoded = codec.encode(keypoints, visible)
    heatmaps, weights = encoded['heatmaps'], encoded['keypoint_weights']
    width, height = codec.heatmap_size
    num_keypoints = keypoints.shape[1]
    assert heatmaps.shape == (num_keypoints, height, width) and heatmaps.dtype == np.float32
    assert weights.shape == (1, num_keypoints) and weights.dtype == np.float32

    valid = encoded_keypoints(codec, keypoints, visible, weights)
    # A usable keypoint keeps its visibility as weight; any other gets 0 and a zero channel.
    np.testing.assert_array_equal(weights[0], np.where(valid, visible[0], 0))
    assert not heatmaps[~valid].any()
    sums = heatmaps[valid].sum(axis=(1, 2))
    np.testing.assert_allclose(sums, 1.0, atol=1e-5)
    assert (heatmaps >= 0).all()
    # The mass lies on the 2x2 cells around the point (one of them, for a draw).
    grid = keypoints[0] * cells_per_pixel(codec)
    for index in np.flatnonzero(valid):
        rows, columns = np.nonzero(heatmaps[index])
        assert np.all(np.abs(columns - grid[index, 0]) < 1 + 1e-9)
        assert np.all(np.abs(rows - grid[index, 1]) < 1 + 1e-9)
        if codec.target_type == 'stochastic':
            assert len(rows) == 1 and heatmaps[index, rows[0], columns[0]] == 1


@st.composite
def heatmap_batches(draw):
    """A codec and a float32 batch (B, K, H, W) of arbitrary values: probabilities,
    negative and huge values, NaN and infinities."""
    heatmap_size = draw(st.tuples(st.integers(2, 24), st.integers(2, 24)))
    input_size = draw(sizes)
    width, height = heatmap_size
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), height, width)
    cells = st.one_of(
        st.floats(0, 1, width=32),
        st.sampled_from([0.0, -1.0, math.nan, math.inf, -math.inf, float(np.float32(3e38))]),
        st.floats(width=32, allow_nan=True, allow_infinity=True),
    )
    batch = draw(hnp.arrays(np.float32, shape, elements=cells))
    decoder = draw(decoders)
    try:
        codec = build(input_size, heatmap_size, decoder=decoder)
    except ValueError:  # a default the map is too small for ('paper' averages 9 cells)
        assume(False)
    return codec, batch


@PROPERTY_SETTINGS
@given(heatmap_batches())
def test_decode_never_raises_nor_returns_nan_nor_leaves_the_frame(case):
    codec, batch = case
    keypoints, scores = codec.batch_decode(torch.from_numpy(batch))
    batch_size, num_keypoints = batch.shape[:2]
    assert keypoints.shape == (batch_size, 1, num_keypoints, 2)
    assert scores.shape == (batch_size, 1, num_keypoints)
    assert np.isfinite(keypoints).all()
    # The score is the mass of the averaged cells: never NaN, never negative (cells beyond
    # float32's range, which no probability map holds, can sum to inf).
    assert not np.isnan(scores).any() and (scores >= 0).all()
    # A weighted mean of cells, or the centre: never outside the frame.
    frame = np.asarray(codec.input_size, dtype=np.float32) - 1
    assert (keypoints >= -1e-4).all() and (keypoints <= frame + 1e-3).all()
