"""Export a top-down H3R model to ONNX: crops in, keypoints and scores out, in one graph.

    python tools/deploy/export_onnx.py CONFIG [CHECKPOINT] --out model.onnx [--flip-test]
        [--opset 13]

The graph's input ``input`` is a float32 batch (B, 3, h, w) of crops normalised as the
config's data preprocessor does; its outputs are ``keypoints`` (B, K, 2) in crop pixels and
``scores`` (B, K). The batch is dynamic. Without CHECKPOINT the randomly initialised model is
exported. The crop settings go into the model's metadata for tools/deploy/onnx_demo.py.
"""

import argparse

from h3r_mmpose.deploy import DEFAULT_OPSET, export_onnx, load_estimator, portability_problems
from h3r_mmpose.deploy.portability import operator_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file (default: random weights)')
    parser.add_argument('--out', required=True, help='ONNX file to write')
    parser.add_argument(
        '--flip-test', action='store_true', help='average with the mirrored crop in the graph'
    )
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET, help='ONNX opset (>= 11)')
    args = parser.parse_args()
    estimator = load_estimator(args.config, args.checkpoint)
    model = export_onnx(estimator, args.out, flip_test=args.flip_test, opset=args.opset)
    print(f'wrote {args.out}: opset {args.opset}, flip test {"on" if args.flip_test else "off"}')
    print('operators: ' + ', '.join(f'{op} x{n}' for op, n in operator_counts(model).items()))
    problems = portability_problems(model)
    for problem in problems:
        print(f'not portable: {problem}')
    if not problems:
        print("portable: every operator is in TensorRT 8.2's list, no float64, constant TopK k")


if __name__ == '__main__':
    main()
