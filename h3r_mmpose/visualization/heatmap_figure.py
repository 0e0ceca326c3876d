"""What a trained H3R model sees: its keypoints on the image, and each keypoint's probability
map over the crop with the decoded sub-pixel position and the most probable cells.

The figure has the image with the predicted keypoints on the left and, on the right, one
panel per chosen keypoint: the crop the network saw (the top-down affine of the box), its
probability map upsampled onto the crop and overlaid, the decoded position (a cross) and the
``topk`` most probable cells (squares). The geometry is read from where it lives: cells are
drawn where the codec's corner-to-corner grid puts them
(:func:`~h3r_mmpose.codecs.utils.grid_to_input`), keypoints are mapped into the crop as the
floor metric maps ground truth (the inverse of the estimator's crop-to-image mapping), and
the crop is MMPose's ``TopdownAffine`` warp.
"""

from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from mmpose.apis import inference_topdown
from mmpose.structures import PoseDataSample
from mmpose.structures.bbox import get_warp_matrix
from torch import nn

from ..codecs.utils import grid_to_input
from ..evaluation.metrics.quantization_floor_metric import image_to_crop as box_to_crop

#: Keypoint panels shown when none are chosen: enough to read, few enough to stay legible.
DEFAULT_NUM_PANELS = 8
#: Cells shown around the decoded position on each side of a panel: the 2x2 support and its
#: neighbourhood, large enough to see where the mass lies and small enough to see sub-cell
#: positions.
DEFAULT_ZOOM_CELLS = 6


def predict_with_heatmaps(
    model: nn.Module, image: np.ndarray, bbox: Optional[Sequence[float]] = None
) -> PoseDataSample:
    """Run a top-down model on one box and keep its probability maps.

    Args:
        model (nn.Module): a top-down pose estimator from ``init_model``.
        image (np.ndarray): BGR image, shape (h_img, w_img, 3), uint8.
        bbox (Sequence[float], optional): ``(x1, y1, x2, y2)`` in image pixels; None takes
            the whole image, as ``inference_topdown`` does.

    Returns:
        PoseDataSample: with ``pred_instances`` (keypoints (1, K, 2) in image pixels) and
        ``pred_fields.heatmaps`` (K, H, W), and the crop's ``input_center``,
        ``input_scale`` and ``input_size`` in its metainfo.

    Raises:
        ValueError: if ``bbox`` is not four finite numbers with x2 > x1 and y2 > y1.
    """
    bboxes = None
    if bbox is not None:
        box = np.asarray(bbox, dtype=np.float32)
        if box.shape != (4,) or not np.isfinite(box).all() or not (box[2:] > box[:2]).all():
            raise ValueError(f'bbox must be (x1, y1, x2, y2) with x2 > x1, y2 > y1, got {bbox}')
        bboxes = box[None]
    previous = model.test_cfg.get('output_heatmaps', False)
    model.test_cfg['output_heatmaps'] = True
    try:
        (sample,) = inference_topdown(model, image, bboxes)
    finally:
        model.test_cfg['output_heatmaps'] = previous
    return sample


def crop_transform(sample: PoseDataSample) -> np.ndarray:
    """The affine ``TopdownAffine`` applied to make the sample's crop.

    Returns:
        np.ndarray: image-to-crop matrix, shape (2, 3).
    """
    meta = sample.metainfo
    return get_warp_matrix(
        np.asarray(meta['input_center'], dtype=np.float32).reshape(2),
        np.asarray(meta['input_scale'], dtype=np.float32).reshape(2),
        0.0,
        output_size=tuple(int(v) for v in meta['input_size']),
    )


def crop_image(image: np.ndarray, sample: PoseDataSample) -> np.ndarray:
    """The crop the network saw (before normalisation), as ``TopdownAffine`` makes it.

    Returns:
        np.ndarray: BGR crop, shape (h, w, 3), with ``(w, h) = input_size``.
    """
    width, height = (int(v) for v in sample.metainfo['input_size'])
    return cv2.warpAffine(image, crop_transform(sample), (width, height), flags=cv2.INTER_LINEAR)


def image_to_crop(points: np.ndarray, sample: PoseDataSample) -> np.ndarray:
    """Map image pixels into the sample's crop, as the floor metric maps ground truth.

    Args:
        points (np.ndarray): shape (K, 2), image pixels.

    Returns:
        np.ndarray: shape (K, 2), crop (input) pixels.
    """
    meta = sample.metainfo
    # The estimator maps crop pixels back to the image with the crop spanning [0, w] x [0, h].
    return box_to_crop(
        np.asarray(points, dtype=np.float64),
        np.asarray(meta['input_center'], dtype=np.float64).reshape(2),
        np.asarray(meta['input_scale'], dtype=np.float64).reshape(2),
        np.asarray(meta['input_size'], dtype=np.float64),
    )


def top_cells(heatmap: np.ndarray, topk: int) -> np.ndarray:
    """The ``topk`` most probable cells of one map (NaN counts as least probable).

    Args:
        heatmap (np.ndarray): shape (H, W).
        topk (int): how many, at least 1.

    Returns:
        np.ndarray: (column, row) of each, most probable first, shape (min(topk, H*W), 2).
    """
    if topk < 1:
        raise ValueError(f'topk must be at least 1, got {topk!r}')
    flat = np.nan_to_num(np.asarray(heatmap, dtype=np.float64).ravel(), nan=-np.inf)
    order = np.argsort(-flat, kind='stable')[:topk]
    rows, columns = np.divmod(order, heatmap.shape[1])
    return np.stack([columns, rows], axis=1)


def choose_keypoints(num_keypoints: int, wanted: Optional[Sequence[int]] = None) -> List[int]:
    """The keypoints to draw panels for: ``wanted``, or up to :data:`DEFAULT_NUM_PANELS`
    spread evenly over all.

    Raises:
        ValueError: naming any index outside ``[0, num_keypoints)``.
    """
    if wanted:
        bad = [index for index in wanted if not 0 <= index < num_keypoints]
        if bad:
            raise ValueError(
                f'keypoint indices {bad} are out of range for {num_keypoints} keypoints'
            )
        return list(wanted)
    count = min(num_keypoints, DEFAULT_NUM_PANELS)
    return sorted({int(round(v)) for v in np.linspace(0, num_keypoints - 1, count)})


def _to_rgb(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _draw_overview(axes, image: np.ndarray, keypoints: np.ndarray, bbox, chosen) -> None:
    """The image around the box (twice its size) with every keypoint, chosen ones numbered."""
    axes.imshow(_to_rgb(image))
    axes.scatter(keypoints[:, 0], keypoints[:, 1], s=8, c='lime', linewidths=0)
    for index in chosen:
        axes.annotate(str(index), keypoints[index], color='yellow', fontsize=7, va='bottom')
    axes.add_patch(Rectangle(bbox[:2], *(bbox[2:] - bbox[:2]), fill=False, ec='cyan', lw=0.8))
    centre, half = (bbox[:2] + bbox[2:]) / 2, (bbox[2:] - bbox[:2]).max()
    axes.set_xlim(max(centre[0] - half, -0.5), min(centre[0] + half, image.shape[1] - 0.5))
    axes.set_ylim(min(centre[1] + half, image.shape[0] - 0.5), max(centre[1] - half, -0.5))
    axes.set_title('predicted keypoints (box in cyan)', fontsize=8)
    axes.axis('off')


def zoom_window(
    centre: np.ndarray, half_width: np.ndarray, frame: Tuple[int, int]
) -> Tuple[Tuple[float, float], Tuple[float, float]]:
    """A window of ``2 * half_width`` crop pixels around ``centre``, moved inside the frame.

    Args:
        centre (np.ndarray): (x, y) in crop pixels, shape (2,); non-finite values take the
            frame's centre.
        half_width (np.ndarray): half the window's (width, height) in pixels, shape (2,).
        frame (tuple): the crop's ``(w, h)``.

    Returns:
        tuple: x limits and y limits (top to bottom reversed, as images are drawn).
    """
    size = np.asarray(frame, dtype=np.float64)
    centre = np.where(np.isfinite(centre), centre, (size - 1) / 2)
    half_width = np.minimum(half_width, size / 2)
    low = np.clip(centre - half_width, -0.5, size - 0.5 - 2 * half_width)
    high = low + 2 * half_width
    return (low[0], high[0]), (high[1], low[1])


def _draw_keypoint_panel(
    axes,
    crop: np.ndarray,
    heatmap: np.ndarray,
    decoded: np.ndarray,
    topk: int,
    zoom_cells: float,
    title: str,
) -> None:
    """One keypoint's probability map over the crop, its top-k cells and decoded position.

    Args:
        crop (np.ndarray): RGB crop, shape (h, w, 3).
        heatmap (np.ndarray): the keypoint's probabilities, shape (H, W).
        decoded (np.ndarray): the decoded position in crop pixels, shape (2,).
        zoom_cells (float): half-width of the window shown around ``decoded``, in cells;
            0 shows the whole crop.
    """
    height, width = crop.shape[:2]
    rows, columns = heatmap.shape

    def cells_to_crop(cells) -> np.ndarray:
        """Crop pixels of grid positions (column, row), shape (..., 2)."""
        return grid_to_input(np.asarray(cells, dtype=np.float64), (width, height), (columns, rows))

    probabilities = np.nan_to_num(heatmap.astype(np.float64), nan=0.0)
    peak = probabilities.max()
    axes.imshow(crop, alpha=0.55)
    if peak > 0:
        # Cell j is drawn over [j - 1/2, j + 1/2] cells around its centre; opacity follows
        # probability, so empty cells leave the crop visible.
        (left, top), (right, bottom) = cells_to_crop([[-0.5, -0.5], [columns - 0.5, rows - 0.5]])
        axes.imshow(
            probabilities,
            cmap='magma',
            vmin=0,
            vmax=peak,
            alpha=np.clip(probabilities / peak, 0, 1) * 0.85,
            interpolation='bilinear',
            extent=(left, right, bottom, top),
        )
    cells = cells_to_crop(top_cells(probabilities, topk))
    axes.scatter(
        cells[:, 0], cells[:, 1], marker='s', s=14, facecolors='none', edgecolors='cyan', lw=0.7
    )
    axes.scatter(*decoded, marker='+', s=60, c='lime', linewidths=1.0)
    if zoom_cells > 0:
        half_width = cells_to_crop([zoom_cells, zoom_cells])
    else:
        half_width = np.array([width, height]) / 2
    x_limits, y_limits = zoom_window(decoded, half_width, (width, height))
    axes.set_xlim(*x_limits)
    axes.set_ylim(*y_limits)
    axes.set_title(title, fontsize=7)
    axes.axis('off')


def draw_heatmap_figure(
    image: np.ndarray,
    sample: PoseDataSample,
    keypoint_indices: Optional[Sequence[int]] = None,
    topk: int = 4,
    title: Optional[str] = None,
    zoom_cells: float = DEFAULT_ZOOM_CELLS,
) -> Figure:
    """Draw the image with its keypoints and one probability-map panel per keypoint.

    Args:
        image (np.ndarray): the BGR image the sample was predicted on, (h_img, w_img, 3).
        sample (PoseDataSample): from :func:`predict_with_heatmaps`.
        keypoint_indices (Sequence[int], optional): keypoints to draw panels for; see
            :func:`choose_keypoints`.
        topk (int): most probable cells marked per panel (the decoder's ``topk`` is the
            natural choice). Defaults to 4.
        title (str, optional): the figure's title, e.g. what model made it.
        zoom_cells (float): each panel shows this many cells around the decoded position on
            each side; 0 shows the whole crop. Defaults to :data:`DEFAULT_ZOOM_CELLS`.

    Returns:
        Figure: a matplotlib figure; save it with ``savefig``.
    """
    heatmaps = sample.pred_fields.heatmaps
    if isinstance(heatmaps, torch.Tensor):
        heatmaps = heatmaps.detach().float().cpu().numpy()
    keypoints = np.asarray(sample.pred_instances.keypoints)[0]
    scores = np.asarray(sample.pred_instances.keypoint_scores)[0]
    chosen = choose_keypoints(len(keypoints), keypoint_indices)
    crop = _to_rgb(crop_image(image, sample))
    crop_keypoints = image_to_crop(keypoints, sample)

    columns = min(4, len(chosen))
    rows = -(-len(chosen) // columns)
    # A bare Figure (no pyplot): no global state, no display backend needed.
    figure = Figure(
        figsize=(4.5 + 2.2 * columns, 0.8 + 2.4 * max(rows, 2)), dpi=110, layout='constrained'
    )
    grid = figure.add_gridspec(rows, columns + 2)
    bbox = np.asarray(sample.gt_instances.bboxes, dtype=np.float64)[0]
    _draw_overview(figure.add_subplot(grid[:, :2]), image, keypoints, bbox, chosen)
    for slot, index in enumerate(chosen):
        _draw_keypoint_panel(
            figure.add_subplot(grid[slot // columns, 2 + slot % columns]),
            crop,
            heatmaps[index],
            crop_keypoints[index],
            topk,
            zoom_cells,
            f'keypoint {index}, score {scores[index]:.3g}',
        )
    height, width = crop.shape[:2]
    caption = (
        f'probability maps {heatmaps.shape[2]}x{heatmaps.shape[1]} over the {width}x{height} '
        f'crop{f" (+/- {zoom_cells:g} cells around +)" if zoom_cells > 0 else ""}; '
        f'+: decoded position, squares: the {topk} most probable cells'
    )
    figure.suptitle(f'{title}\n{caption}' if title else caption, fontsize=8)
    return figure


def save_heatmap_figure(
    model: nn.Module,
    image: np.ndarray,
    out_file: str,
    bbox: Optional[Sequence[float]] = None,
    keypoint_indices: Optional[Sequence[int]] = None,
    topk: Optional[int] = None,
    title: Optional[str] = None,
    zoom_cells: float = DEFAULT_ZOOM_CELLS,
) -> PoseDataSample:
    """Predict one box and write :func:`draw_heatmap_figure` to ``out_file``.

    Args:
        model (nn.Module): a top-down pose estimator from ``init_model``.
        image (np.ndarray): BGR image, (h_img, w_img, 3), uint8.
        out_file (str): where the picture goes (its suffix picks the format, e.g. ``.png``).
        bbox (Sequence[float], optional): ``(x1, y1, x2, y2)``; None takes the whole image.
        keypoint_indices (Sequence[int], optional): keypoints to draw panels for.
        topk (int, optional): cells marked; None takes the decoder's ``topk``, or 4.
        title (str, optional): the figure's title.
        zoom_cells (float): cells shown around each decoded position; 0 for the whole crop.

    Returns:
        PoseDataSample: the prediction that was drawn.
    """
    sample = predict_with_heatmaps(model, image, bbox)
    if topk is None:
        # The decoder's own topk; 4, the 2x2 support, for decoders without one (mean shift).
        topk = getattr(getattr(model.head, 'decoder', None), 'topk', None) or 4
    figure = draw_heatmap_figure(image, sample, keypoint_indices, topk, title, zoom_cells)
    figure.savefig(out_file)
    return sample
