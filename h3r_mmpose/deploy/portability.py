"""Static checks that an exported graph stays within what TensorRT and ONNX Runtime accept.

ONNX Runtime implements every operator of the default ONNX domain, so the tests run the
graphs in it. TensorRT is not installed here: the graph is checked against its parser's
operator list instead (``docs/operators.md`` of onnx-tensorrt at the TensorRT 8.2 release,
the oldest version MMDeploy 1.x documents; later releases only add operators).
"""

from typing import Dict, List

import onnx
from onnx import TensorProto

#: The lowest opset accepted: TopK takes k as an input and GatherElements exists from 11.
MIN_OPSET = 11

#: ONNX operators that TensorRT 8.2's ONNX parser supports (onnx-tensorrt
#: docs/operators.md, TensorRT 8.2 GA). Absent, among others: ``Mod``, ``IsInf``,
#: ``NonZero``, ``Unique``.
TENSORRT_8_2_OPS = frozenset(
    'Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool '
    'BatchNormalization Cast Ceil Celu Clip Concat Constant ConstantOfShape Conv '
    'ConvTranspose Cos Cosh CumSum DepthToSpace DequantizeLinear Div Dropout Einsum Elu '
    'Equal Erf Exp Expand EyeLike Flatten Floor Gather GatherElements GatherND Gemm '
    'GlobalAveragePool GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GRU HardSigmoid '
    'Identity If ImageScaler InstanceNormalization IsNaN LeakyRelu Less LessOrEqual Log '
    'LogSoftmax Loop LRN LSTM LpNormalization LpPool MatMul Max MaxPool Mean Min Mul Neg '
    'NonMaxSuppression Not Or Pad ParametricSoftplus Pow PRelu QuantizeLinear RandomUniform '
    'RandomUniformLike Range ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin '
    'ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize ReverseSequence RNN Round '
    'ScaledTanh Scan Scatter ScatterElements ScatterND Selu Shape Sigmoid Sign Sin Sinh Size '
    'Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze Sub Sum Tan Tanh '
    'ThresholdedRelu Tile TopK Transpose Unsqueeze Upsample Where'.split()
)


#: Operators whose TensorRT 8.2 importer refuses integer data ("This version of TensorRT does
#: not support INT32 input", onnx-tensorrt's builtin_op_importers.cpp and onnx2trt_utils.cpp
#: at TensorRT 8.2), though ONNX allows it and ONNX Runtime runs it. ``Clip``, ``Max``,
#: ``Min``, ``Add``, ``Div``, ... take INT32 there, and the parser casts INT64 down to INT32.
TENSORRT_FLOAT_ONLY_OPS = frozenset(
    'ArgMax ArgMin Ceil Exp Floor Log Reciprocal Resize Round Sqrt TopK'.split()
)
FLOAT_TYPES = (TensorProto.FLOAT, TensorProto.FLOAT16)


def opset_version(model: onnx.ModelProto) -> int:
    """The model's opset of the default ONNX domain."""
    return next(entry.version for entry in model.opset_import if entry.domain in ('', 'ai.onnx'))


def operator_counts(model: onnx.ModelProto) -> Dict[str, int]:
    """How often each operator occurs in the main graph, by ``domain::op_type`` for custom
    domains and ``op_type`` for the default one."""
    counts: Dict[str, int] = {}
    for node in model.graph.node:
        name = f'{node.domain}::{node.op_type}' if node.domain else node.op_type
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def element_types(model: onnx.ModelProto) -> Dict[str, int]:
    """The ``TensorProto`` element type of every tensor of the main graph whose type is known:
    inputs, outputs, initializers, ``Constant`` and ``Cast`` outputs, and whatever else ONNX's
    shape inference infers."""
    graph = onnx.shape_inference.infer_shapes(model).graph
    types = {init.name: init.data_type for init in graph.initializer}
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        types[value.name] = value.type.tensor_type.elem_type
    for node in graph.node:
        for attribute in node.attribute:
            if node.op_type == 'Cast' and attribute.name == 'to':
                types[node.output[0]] = attribute.i
            if node.op_type == 'Constant' and attribute.name == 'value':
                types[node.output[0]] = attribute.t.data_type
    return types


def _double_tensors(types: Dict[str, int]) -> List[str]:
    """Names of float64 tensors (TensorRT has no float64 kernels)."""
    return sorted(name for name, elem_type in types.items() if elem_type == TensorProto.DOUBLE)


def _integer_float_only_ops(model: onnx.ModelProto, types: Dict[str, int]) -> List[str]:
    """``op_type 'name'`` of the nodes of :data:`TENSORRT_FLOAT_ONLY_OPS` whose data input is
    not floating point."""
    return [
        f'{node.op_type} {node.name!r}'
        for node in model.graph.node
        if node.op_type in TENSORRT_FLOAT_ONLY_OPS
        and types.get(node.input[0], TensorProto.FLOAT) not in FLOAT_TYPES
    ]


def _non_constant_topk(model: onnx.ModelProto) -> List[str]:
    """Names of TopK nodes whose k is computed at run time rather than stored."""
    constants = {init.name for init in model.graph.initializer}
    constants |= {output for node in model.graph.node if node.op_type == 'Constant'
                  for output in node.output}  # fmt: skip
    return [
        node.name
        for node in model.graph.node
        if node.op_type == 'TopK' and (len(node.input) < 2 or node.input[1] not in constants)
    ]


def portability_problems(model: onnx.ModelProto) -> List[str]:
    """Everything in ``model`` that would stop TensorRT 8.2 or ONNX Runtime from loading it.

    Checked: the default-domain opset is at least :data:`MIN_OPSET`; every node is a
    default-domain operator in :data:`TENSORRT_8_2_OPS` (so no ``Mod``, ``IsInf``, custom
    ops, ...); no tensor is float64; the operators of :data:`TENSORRT_FLOAT_ONLY_OPS` get
    floating-point data; every TopK reads a constant k.

    Args:
        model (onnx.ModelProto): the exported model.

    Returns:
        list[str]: one sentence per problem; empty when the graph is portable.
    """
    problems = []
    opset = opset_version(model)
    if opset < MIN_OPSET:
        problems.append(f'opset {opset} is below {MIN_OPSET}')
    for name, count in operator_counts(model).items():
        if name not in TENSORRT_8_2_OPS:
            problems.append(f"{count} {name} node(s): not in TensorRT 8.2's operator list")
    types = element_types(model)
    doubles = _double_tensors(types)
    if doubles:
        problems.append(f'{len(doubles)} float64 tensor(s), e.g. {doubles[:3]}')
    for node in _integer_float_only_ops(model, types):
        problems.append(f'{node} gets integer data: TensorRT 8.2 runs it on floats only')
    for name in _non_constant_topk(model):
        problems.append(f'TopK node {name!r} reads a k computed at run time')
    return problems
