"""Run an exported H3R model on one image with ONNX Runtime, NumPy and OpenCV only.

    python tools/deploy/onnx_demo.py model.onnx IMAGE [--bbox x1 y1 x2 y2] --out result.png

The crop is MMPose's test pipeline re-implemented: ``GetBBoxCenterScale`` (the box's centre,
its size times the config's padding), ``TopdownAffine`` (the size widened to the input's
aspect ratio, then the same affine warp) and the data preprocessor (BGR to RGB, mean and
std). The keypoints go back to the image as ``TopdownPoseEstimator`` maps them. Every
setting is read from the model's metadata (written by tools/deploy/export_onnx.py). Without
``--bbox`` the whole image is the box, as in MMPose's ``inference_topdown``.

This script deliberately imports neither torch nor mmpose: it is what a deployment runs.
"""

import argparse
import json
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
import onnxruntime as ort

#: Keypoints with a score below this are drawn hollow.
SCORE_THRESHOLD = 0.3


def read_metadata(session: ort.InferenceSession) -> Dict[str, object]:
    """The JSON-decoded ``metadata_props`` of the exported model."""
    props = session.get_modelmeta().custom_metadata_map
    missing = {'input_size', 'bbox_padding', 'mean', 'std', 'bgr_to_rgb'} - set(props)
    if missing:
        raise ValueError(
            f'model metadata lacks {sorted(missing)}: export it with tools/deploy/export_onnx.py'
        )
    return {key: json.loads(value) for key, value in props.items()}


def bbox_center_scale(bbox: Sequence[float], padding: float) -> Tuple[np.ndarray, np.ndarray]:
    """Centre (x, y) and padded size (w, h) of an (x1, y1, x2, y2) box, as
    ``GetBBoxCenterScale`` computes them (float32)."""
    bbox = np.asarray(bbox, dtype=np.float32)
    center = (bbox[2:] + bbox[:2]) * 0.5
    scale = (bbox[2:] - bbox[:2]) * padding
    return center, scale


def fix_aspect_ratio(scale: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Widen the box's shorter side so that w / h equals ``aspect_ratio`` (as
    ``TopdownAffine`` does before warping)."""
    width, height = scale
    if width > height * aspect_ratio:
        return np.array([width, width / aspect_ratio], dtype=scale.dtype)
    return np.array([height * aspect_ratio, height], dtype=scale.dtype)


def warp_matrix(center: np.ndarray, scale: np.ndarray, input_size: Sequence[int]) -> np.ndarray:
    """The 2x3 affine that maps the box onto the ``input_size`` (w, h) crop, built from the
    same three point pairs as MMPose's ``get_warp_matrix`` without rotation: the box centre
    goes to the crop centre, the middle of its left edge to the middle of the crop's left
    edge, and a third point a right angle away fixes the aspect ratio."""
    out_width, out_height = input_size
    src = np.zeros((3, 2), dtype=np.float32)
    dst = np.zeros((3, 2), dtype=np.float32)
    src[0] = center
    src[1] = center + np.array([-0.5 * scale[0], 0.0])
    dst[0] = [out_width * 0.5, out_height * 0.5]
    dst[1] = dst[0] + np.array([-0.5 * out_width, 0.0])
    for points in (src, dst):
        direction = points[0] - points[1]
        points[2] = points[1] + np.array([-direction[1], direction[0]])
    return cv2.getAffineTransform(src, dst)


def preprocess(
    image: np.ndarray, bbox: Sequence[float], meta: Dict[str, object]
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop and normalise one box of a BGR image.

    Returns:
        tuple: the network input, shape (1, 3, h, w), float32; the box centre (2,) and its
        aspect-fixed size (2,), which map the keypoints back.
    """
    width, height = meta['input_size']
    center, scale = bbox_center_scale(bbox, meta['bbox_padding'])
    scale = fix_aspect_ratio(scale, width / height)
    crop = cv2.warpAffine(
        image, warp_matrix(center, scale, (width, height)), (width, height), flags=cv2.INTER_LINEAR
    )
    if meta['bgr_to_rgb']:
        crop = crop[..., ::-1]
    mean = np.asarray(meta['mean'], dtype=np.float32)
    std = np.asarray(meta['std'], dtype=np.float32)
    normalised = (crop.astype(np.float32) - mean) / std
    return normalised.transpose(2, 0, 1)[None], center, scale


def crop_to_image(
    keypoints: np.ndarray, center: np.ndarray, scale: np.ndarray, input_size: Sequence[int]
) -> np.ndarray:
    """Map crop-pixel keypoints (K, 2) back to the image, as ``TopdownPoseEstimator`` does."""
    return keypoints / np.asarray(input_size, dtype=np.float32) * scale + center - 0.5 * scale


def draw(
    image: np.ndarray,
    keypoints: np.ndarray,
    scores: np.ndarray,
    meta: Dict[str, object],
    bbox: Optional[Sequence[float]] = None,
) -> np.ndarray:
    """The image with the box, the skeleton and the keypoints (filled when confident, each
    with a white rim)."""
    canvas = image.copy()
    size = max(image.shape[:2])
    thickness = max(1, size // 300)
    radius = max(2, size // 150)
    if bbox is not None:
        x1, y1, x2, y2 = (int(round(v)) for v in bbox)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 255, 0), thickness)
    points = [tuple(int(round(v)) for v in point) for point in keypoints]
    for start, end in meta.get('skeleton_links', []):
        if scores[start] >= SCORE_THRESHOLD and scores[end] >= SCORE_THRESHOLD:
            cv2.line(canvas, points[start], points[end], (255, 160, 0), thickness, cv2.LINE_AA)
    colors = meta.get('keypoint_colors') or []
    for index, (point, score) in enumerate(zip(points, scores)):
        rgb = colors[index] if index < len(colors) else (255, 0, 0)
        bgr = tuple(int(v) for v in reversed(rgb))
        # A white rim keeps a keypoint visible on a background of its own colour.
        if score >= SCORE_THRESHOLD:
            cv2.circle(canvas, point, radius + thickness, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(canvas, point, radius, bgr, -1, cv2.LINE_AA)
        else:
            cv2.circle(canvas, point, radius, (255, 255, 255), 3 * thickness, cv2.LINE_AA)
            cv2.circle(canvas, point, radius, bgr, thickness, cv2.LINE_AA)
    return canvas


def run(
    model_file: str, image_file: str, bbox: Optional[Sequence[float]] = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, Dict[str, object], Sequence[float]]:
    """Keypoints (K, 2) in image pixels and scores (K,) of one box of one image.

    Returns:
        tuple: keypoints, scores, the BGR image, the model metadata and the box used.
    """
    image = cv2.imread(image_file, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'image_file {image_file!r} cannot be read as an image')
    if bbox is None:
        bbox = (0.0, 0.0, float(image.shape[1]), float(image.shape[0]))
    elif len(bbox) != 4 or not bbox[0] < bbox[2] or not bbox[1] < bbox[3]:
        raise ValueError(f'bbox must be x1 y1 x2 y2 with x1 < x2 and y1 < y2, got {bbox}')
    session = ort.InferenceSession(model_file, providers=['CPUExecutionProvider'])
    meta = read_metadata(session)
    inputs, center, scale = preprocess(image, bbox, meta)
    keypoints, scores = session.run(['keypoints', 'scores'], {'input': inputs})
    keypoints = crop_to_image(keypoints[0], center, scale, meta['input_size'])
    return keypoints, scores[0], image, meta, bbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='ONNX file written by tools/deploy/export_onnx.py')
    parser.add_argument('image', help='image file')
    parser.add_argument(
        '--bbox', nargs=4, type=float, metavar=('X1', 'Y1', 'X2', 'Y2'), help='person/face box'
    )
    parser.add_argument('--out', default='result.png', help='where to write the drawing (PNG)')
    parser.add_argument('--json', help='also write the keypoints and scores to this JSON file')
    args = parser.parse_args()
    keypoints, scores, image, meta, bbox = run(args.model, args.image, args.bbox)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), draw(image, keypoints, scores, meta, bbox)):
        raise ValueError(f'out {args.out!r} cannot be written as an image')
    if args.json:
        result = dict(bbox=list(bbox), keypoints=keypoints.tolist(), scores=scores.tolist())
        Path(args.json).write_text(json.dumps(result))
    print(f'{len(keypoints)} keypoints, mean score {scores.mean():.3f}: {out}')


if __name__ == '__main__':
    main()
