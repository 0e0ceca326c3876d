"""A top-down H3R pose estimator as one traceable module: image crop in, keypoints out."""

from typing import Optional, Sequence, Tuple

from mmpose.models.pose_estimators import TopdownPoseEstimator
from torch import Tensor, nn

from ..models.heads import H3RHead
from ..models.utils import flip_average


class EndToEndKeypointModel(nn.Module):
    """Backbone, neck, :class:`H3RHead`, its probabilities and the codec's decode in one module.

    It computes what :meth:`H3RHead.predict` computes, from the normalised crop to keypoints,
    without data samples or NumPy, so ``torch.onnx.export`` traces it into a single graph.
    With ``flip_indices`` it also runs the flip test inside the module with the function
    :meth:`H3RHead.predict` uses (:func:`~h3r_mmpose.models.utils.flip_average`): the grid
    probabilities of the crop and of its mirror image (flipped back, symmetric keypoints
    swapped, no heatmap shift) are averaged before decoding.

    Note:
        - B: batch size, K: keypoints, [w, h]: the crop size, [W, H]: the heatmap size.

    Args:
        estimator (TopdownPoseEstimator): a built model whose head is an :class:`H3RHead`
            with a decoder that has ``decode_tensor``; the module and it are put in eval
            mode.
        flip_indices (Sequence[int], optional): each keypoint's mirror partner (the dataset
            metainfo's ``flip_indices``); ``None`` exports without the flip test.
    """

    def __init__(
        self, estimator: TopdownPoseEstimator, flip_indices: Optional[Sequence[int]] = None
    ) -> None:
        super().__init__()
        head = getattr(estimator, 'head', None)
        if not isinstance(head, H3RHead):
            raise ValueError(
                f'estimator.head must be an H3RHead, got {type(head).__name__}: only the H3R '
                'decode is traceable'
            )
        if head.decoder is None or not hasattr(head.decoder, 'decode_tensor'):
            raise ValueError(
                f'estimator.head.decoder must have decode_tensor, got {type(head.decoder).__name__}'
            )
        num_keypoints = head.out_channels
        if flip_indices is not None:
            flip_indices = [int(index) for index in flip_indices]
            if sorted(flip_indices) != list(range(num_keypoints)):
                raise ValueError(
                    f'flip_indices must be a permutation of range({num_keypoints}), '
                    f'got {flip_indices}'
                )
        self.estimator = estimator
        self.flip_indices = flip_indices
        # Eval mode for the wrapper too: exporters restore the wrapper's mode afterwards,
        # and a wrapper left in training mode would switch the estimator's BN to batch
        # statistics.
        self.eval()

    @property
    def head(self) -> H3RHead:
        return self.estimator.head

    def probabilities(self, inputs: Tensor) -> Tensor:
        """The head's probability maps (:meth:`H3RHead.probabilities`, e.g. the grid softmax of
        the default loss), averaged with the flipped-back mirror image when flip testing.

        Args:
            inputs (Tensor): normalised crops, shape (B, 3, h, w).

        Returns:
            Tensor: shape (B, K, H, W).
        """
        probabilities = self.head.probabilities(
            self.head.forward(self.estimator.extract_feat(inputs))
        )
        if self.flip_indices is None:
            return probabilities
        flipped = self.head.probabilities(
            self.head.forward(self.estimator.extract_feat(inputs.flip(-1)))
        )
        return flip_average(probabilities, flipped, self.flip_indices)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Keypoints and scores of a batch of normalised crops.

        Args:
            inputs (Tensor): crops normalised as the config's data preprocessor does (mean,
                std, RGB order), shape (B, 3, h, w).

        Returns:
            tuple:
            - keypoints (Tensor): (x, y) in crop pixels, shape (B, K, 2), float32.
            - scores (Tensor): shape (B, K), float32.
        """
        keypoints, scores = self.head.decoder.decode_tensor(self.probabilities(inputs))
        return keypoints.float(), scores.float()
