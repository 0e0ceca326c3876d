"""flip_average, the flip test of H3RHead.predict and of the exported model: exact values."""

import torch

from h3r_mmpose.models.utils import flip_average

# Two keypoints that mirror each other, on a 1x3 grid; eighths are exact in float32.
PROBABILITIES = torch.tensor([[[[1.0, 2.0, 5.0]], [[4.0, 3.0, 1.0]]]]) / 8
MIRRORED = torch.tensor([[[[5.0, 2.0, 1.0]], [[2.0, 1.0, 5.0]]]]) / 8
FLIP_INDICES = [1, 0]


def test_mirror_is_reversed_swapped_and_averaged():
    # Keypoint 0's mirrored map is the mirror image's channel 1, reversed: (5, 1, 2) / 8.
    expected = torch.tensor([[[[6.0, 3.0, 7.0]], [[5.0, 5.0, 6.0]]]]) / 16
    average = flip_average(PROBABILITIES, MIRRORED, FLIP_INDICES)
    torch.testing.assert_close(average, expected, rtol=0, atol=0)
    # Identity flip indices only reverse.
    expected = torch.tensor([[[[2.0, 4.0, 10.0]], [[9.0, 4.0, 3.0]]]]) / 16
    average = flip_average(PROBABILITIES, MIRRORED, [0, 1])
    torch.testing.assert_close(average, expected, rtol=0, atol=0)


def test_mmpose_shift_moves_the_mirror_by_one_cell():
    # MMPose's shift for the MSRA grid copies each cell to its right neighbour: (5, 5, 1) / 8.
    expected = torch.tensor([[[[6.0, 7.0, 6.0]], [[5.0, 4.0, 3.0]]]]) / 16
    average = flip_average(PROBABILITIES, MIRRORED, FLIP_INDICES, shift_heatmap=True)
    torch.testing.assert_close(average, expected, rtol=0, atol=0)
