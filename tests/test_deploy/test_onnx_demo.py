"""tools/deploy/onnx_demo.py: ONNX Runtime, NumPy and OpenCV alone reproduce MMPose's
top-down inference on real images."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmpose.apis import inference_topdown
from utils import ROOT, load_tool

DEMO = ROOT / 'tools' / 'deploy' / 'onnx_demo.py'
#: Packages a deployment must not need.
HEAVY = ('torch', 'mmpose', 'mmcv', 'mmengine', 'mmdet', 'h3r_mmpose')

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def first_box(samples_dir: Path, dataset: str):
    """Image path and (x1, y1, x2, y2) box of the first annotated instance."""
    data = json.loads((samples_dir / dataset / f'test_{dataset}.json').read_text())
    annotation = next(a for a in data['annotations'] if a.get('num_keypoints', 1) > 0)
    image = next(i for i in data['images'] if i['id'] == annotation['image_id'])
    x, y, w, h = annotation['bbox']
    return samples_dir / dataset / image['file_name'], [x, y, x + w, y + h]


def run_demo(model: Path, image: Path, out_dir: Path, bbox=None) -> dict:
    """Run the demo in a fresh interpreter; return its JSON result and the heavy packages
    that were imported."""
    args = [str(model), str(image), '--out', str(out_dir / 'result.png')]
    args += ['--json', str(out_dir / 'result.json')]
    if bbox is not None:
        args += ['--bbox', *map(str, bbox)]
    probe = (
        'import runpy, sys, json\n'
        f'sys.argv = {[str(DEMO)] + args!r}\n'
        f'runpy.run_path({str(DEMO)!r}, run_name="__main__")\n'
        f'print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))\n'
    )
    completed = subprocess.run(
        [sys.executable, '-c', probe], capture_output=True, text=True, cwd=str(out_dir)
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads((out_dir / 'result.json').read_text())
    result['heavy_imports'] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
@pytest.mark.parametrize('name,dataset', [('coco-s4', 'coco'), ('wflw-s16', 'wflw')])
def test_demo_matches_inference_topdown(exported, samples_dir, tmp_path, name, dataset):
    estimator, model = exported(name, True)  # the configs' test_cfg flips
    image, bbox = first_box(samples_dir, dataset)
    result = run_demo(model, image, tmp_path, bbox)
    assert result['heavy_imports'] == []

    # float32 boxes, as detectors give them and as the demo parses them.
    boxes = np.array([bbox], dtype=np.float32)
    expected = inference_topdown(estimator, str(image), bboxes=boxes)[0]
    expected_keypoints = expected.pred_instances.keypoints[0]
    keypoints = np.asarray(result['keypoints'])
    assert keypoints.shape == expected_keypoints.shape
    np.testing.assert_allclose(keypoints, expected_keypoints, rtol=0, atol=0.5)
    np.testing.assert_allclose(
        result['scores'], expected.pred_instances.keypoint_scores[0], rtol=0, atol=1e-4
    )
    # The keypoints were mapped back into the box's (padded) region of the image.
    center, size = np.mean(np.reshape(bbox, (2, 2)), 0), np.ptp(np.reshape(bbox, (2, 2)), 0)
    assert (np.abs(keypoints - center) <= 1.25 * size.max() / 2 + 1).all()

    drawing = cv2.imread(str(tmp_path / 'result.png'))
    original = cv2.imread(str(image))
    assert drawing.shape == original.shape
    assert (drawing != original).any(axis=2).sum() > 100  # something was drawn


@pytest.mark.slow
def test_demo_without_box_uses_the_whole_image(exported, samples_dir, tmp_path):
    estimator, model = exported('wflw-s16', True)
    image, _ = first_box(samples_dir, 'wflw')
    result = run_demo(model, image, tmp_path)
    height, width = cv2.imread(str(image)).shape[:2]
    assert result['bbox'] == [0, 0, width, height]
    expected = inference_topdown(estimator, str(image))[0].pred_instances.keypoints[0]
    np.testing.assert_allclose(result['keypoints'], expected, rtol=0, atol=0.5)


def test_demo_crop_is_topdown_affine(samples_dir):
    """The demo's warp matrix equals MMPose's for a box of every aspect."""
    from mmpose.structures.bbox import get_warp_matrix

    demo = load_tool('deploy/onnx_demo')
    for bbox in ([10.5, 20.25, 110.0, 60.0], [0.0, 0.0, 30.0, 200.0]):
        center, scale = demo.bbox_center_scale(bbox, 1.25)
        scale = demo.fix_aspect_ratio(scale, 192 / 256)
        assert scale[0] / scale[1] == pytest.approx(192 / 256)
        expected = get_warp_matrix(center, scale, 0.0, output_size=(192, 256))
        np.testing.assert_allclose(demo.warp_matrix(center, scale, (192, 256)), expected)


@pytest.mark.slow
def test_demo_rejects_bad_input(exported, samples_dir, tmp_path):
    _, model = exported('wflw-s16', True)
    demo = load_tool('deploy/onnx_demo')
    image, _ = first_box(samples_dir, 'wflw')
    with pytest.raises(ValueError, match=r'bbox must be x1 y1 x2 y2 with x1 < x2 .*\[5, 5, 1, 9\]'):
        demo.run(str(model), str(image), [5, 5, 1, 9])
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(ValueError, match=r"image_file '.*missing.jpg' cannot be read"):
        demo.run(str(model), missing)


def test_keypoints_stay_visible_on_their_own_colour():
    """A keypoint drawn on a background of its own colour gets a white rim, confident or
    not (the synthetic landmarks of the README's picture are such backgrounds)."""
    demo = load_tool('deploy/onnx_demo')
    red = np.zeros((60, 60, 3), dtype=np.uint8)
    red[...] = (30, 30, 235)  # BGR of the keypoint colour below
    meta = dict(keypoint_colors=[[235, 30, 30], [235, 30, 30]])
    drawing = demo.draw(red, np.array([[15.0, 15.0], [45.0, 45.0]]), np.array([0.9, 0.1]), meta)
    white = (drawing > 200).all(axis=2)
    assert white[:30, :30].sum() >= 4 and white[30:, 30:].sum() >= 4
    assert (drawing[0, 0] == red[0, 0]).all()
