"""Write a :class:`~.conversion_plan.ConversionPlan` as the source of a child config.

The file reads like a hand-written config: a header that names the stock config and the
command that wrote the file, then one commented section per change (codec, model, pipelines,
evaluators), each wrapped at 100 columns and stable under the project's formatter.
"""

import shlex
import textwrap
from typing import Dict, List, Sequence

from .conversion_plan import (
    UDP_AFFINE_NOTE,
    ConversionPlan,
    EvaluatorPlan,
    HeadPlan,
    PipelineSwap,
    downsampled_size,
)

#: The column the written source stays within.
LINE_LENGTH = 100

#: The header line that introduces the command; the next line holds it after ``#   ``.
COMMAND_INTRO = '# Written by:'


def literal(value) -> str:
    """``value`` as config source: dicts as ``dict(...)``, strings single-quoted."""
    if isinstance(value, dict):
        return 'dict(' + ', '.join(f'{key}={literal(item)}' for key, item in value.items()) + ')'
    if isinstance(value, tuple):
        items = [literal(item) for item in value]
        return '(' + (items[0] + ',' if len(items) == 1 else ', '.join(items)) + ')'
    if isinstance(value, list):
        return '[' + ', '.join(literal(item) for item in value) + ']'
    return repr(value)


class SourceLines:
    """Collects the written config: sections of comment lines and code lines."""

    def __init__(self) -> None:
        self.lines: List[str] = []

    def section(self, comment: Sequence[str], code: Sequence[str] = ()) -> None:
        """A blank line, the comment (paragraphs, each wrapped at 100 columns), the code."""
        if self.lines:
            self.lines.append('')
        for paragraph in comment:
            lines = textwrap.wrap(
                paragraph, LINE_LENGTH - 2, break_long_words=False, break_on_hyphens=False
            )
            self.lines += [f'# {line}' for line in lines]
        self.lines += list(code)

    def assign(self, name: str, value_lines: Sequence[str]) -> None:
        """``name = <value>``, the value's first line following the ``=``."""
        self.lines += [f'{name} = {value_lines[0]}', *value_lines[1:]]

    def text(self) -> str:
        return '\n'.join(self.lines) + '\n'


def call_lines(name: str, arguments: Dict[str, str], indent: str = '') -> List[str]:
    """``name(``, one ``key=value,`` line per argument at ``indent`` + 4, and ``)``.

    The first line has no indent (it follows ``key=`` or ``name = ``).
    """
    inner = indent + '    '
    return (
        [f'{name}(']
        + [f'{inner}{key}={value},' for key, value in arguments.items()]
        + [f'{indent})']
    )


def call_or_lines(name: str, arguments: Dict[str, str], indent: str = '') -> List[str]:
    """``name(key=value, ...)`` on one line if it fits at ``indent`` with a trailing comma,
    else :func:`call_lines`."""
    one_line = f'{name}(' + ', '.join(f'{key}={value}' for key, value in arguments.items()) + ')'
    if len(indent) + len(one_line) + 1 <= LINE_LENGTH:
        return [one_line]
    return call_lines(name, arguments, indent)


def describe_resolution(input_size: Sequence[int], heatmap_size: Sequence[int]) -> str:
    """``'at 1/4 of the input (48x64)'``, or the sizes where there is no single stride."""
    strides = {input_side / side for input_side, side in zip(input_size, heatmap_size)}
    size = f'{heatmap_size[0]}x{heatmap_size[1]}'
    stride = strides.pop()
    if not strides and stride.is_integer():
        return f'at 1/{int(stride)} of the input ({size})'
    return f'of {size} cells for the {input_size[0]}x{input_size[1]} input'


def recorded_command(text: str) -> List[str]:
    """The converter command a written config records in its header, as arguments.

    Raises:
        ValueError: if the text has no such header.
    """
    lines = text.splitlines()
    if COMMAND_INTRO not in lines or lines.index(COMMAND_INTRO) + 1 == len(lines):
        raise ValueError(f'the config has no {COMMAND_INTRO!r} header line with a command')
    return shlex.split(lines[lines.index(COMMAND_INTRO) + 1].lstrip('#'))


def write_config(plan: ConversionPlan) -> str:
    """The source of the converted config."""
    source = SourceLines()
    write_header(source, plan)
    write_codec(source, plan.codec)
    write_model(source, plan.head, plan.flip_test)
    write_pipelines(source, plan)
    write_evaluators(source, plan)
    if plan.replace_codec:
        source.section(
            [
                'A plain `codec = dict(...)` would merge into the stock codec and keep its other '
                'arguments. Replace it here, last, so the uses above hold the dict without the '
                '`_delete_` flag.'
            ],
            ['codec = dict(_delete_=True, **codec)'],
        )
    return source.text()


def write_header(source: SourceLines, plan: ConversionPlan) -> None:
    """What the file is and how it was made, ``_base_`` and ``custom_imports``."""
    resolution = describe_resolution(plan.codec['input_size'], plan.codec['heatmap_size'])
    source.section(
        [
            f'{plan.stock_name} with randomized-rounding heatmaps {resolution}. Everything '
            f'else ({plan.backbone}, {plan.dataset}, schedule, augmentation, stock metric) is '
            'the stock config.',
        ]
    )
    source.lines += [COMMAND_INTRO, '#   ' + ' '.join(shlex.quote(part) for part in plan.command)]
    if len(f"_base_ = ['{plan.base}']") <= LINE_LENGTH:
        source.lines.append(f"_base_ = ['{plan.base}']")
    else:
        source.lines += ['_base_ = [', f"    '{plan.base}',", ']']
    arguments = dict(imports=literal(plan.custom_imports), allow_failed_imports='False')
    one_line = 'custom_imports = dict(' + ', '.join(f'{k}={v}' for k, v in arguments.items()) + ')'
    if len(one_line) <= LINE_LENGTH:
        source.lines.append(one_line)
    else:
        source.assign('custom_imports', call_lines('dict', arguments))


def write_codec(source: SourceLines, codec: dict) -> None:
    """The codec: the sizes and the options the user chose."""
    source.section(
        [
            'Only the sizes and the options given to the converter are set, so the codec '
            "defaults apply to the rest: target_type ('expected', the bilinear 2x2 "
            "distribution, or 'stochastic', the paper's one-hot draws), the decoder and its "
            'arguments.'
        ]
    )
    source.assign('codec', call_lines('dict', {k: literal(v) for k, v in codec.items()}))


def write_model(source: SourceLines, head: HeadPlan, flip_test: bool) -> None:
    """The H3R head in place of the stock one, and flip testing without the shift."""
    arguments = {'_delete_': 'True', 'type': repr(head.type)}
    arguments.update({key: literal(value) for key, value in head.arguments.items()})
    if head.num_downsample_layers:
        arguments['num_downsample_layers'] = str(head.num_downsample_layers)
    arguments['loss'] = "dict(type='HeatmapCrossEntropyLoss')"
    arguments['decoder'] = 'codec'

    indent = '    ' * len(head.path)
    lines = call_lines('dict', arguments, indent)
    lines[0] = f'{indent}{head.path[-1]}={lines[0]}'
    lines[-1] += ','
    for depth in range(len(head.path) - 1, 0, -1):  # VisPredictHead: keep it, swap pose_cfg
        outer = '    ' * depth
        lines = [f'{outer}{head.path[depth - 1]}=dict('] + lines + [f'{outer}),']

    comment = (
        f'The stock {head.stock_type} layers in {head.type}: logits for the grid '
        'cross-entropy and the decoder.'
    )
    if head.num_downsample_layers:
        stock = head.stock_heatmap_size
        target = downsampled_size(stock, head.num_downsample_layers)
        blocks = (
            'One stride-2 conv block before the final layer takes'
            if head.num_downsample_layers == 1
            else f'{head.num_downsample_layers} stride-2 conv blocks before the final layer take'
        )
        comment += f' {blocks} the stock {stock[0]}x{stock[1]} heatmap to {target[0]}x{target[1]}.'
    comment += " The codec's corner-to-corner grid is mirror-symmetric: no one-pixel flip shift."
    test_cfg = f"dict(flip_test={flip_test}, flip_mode='heatmap', shift_heatmap=False)"
    source.section([comment], ['model = dict(', *lines, f'    test_cfg={test_cfg},', ')'])


def swap_lines(swap: PipelineSwap) -> List[str]:
    """Assignments that make ``swap.name`` a copy of ``swap.source`` with the codec in its
    ``GenerateTarget`` and the plain affine in place of a UDP one: one simple list
    comprehension per swap, the second reading the first's result."""
    steps = []
    if swap.target and swap.single_level:  # MSPN: one target, one level
        steps.append(
            "dict(step, encoder=codec, multilevel=False) if step['type'] == 'GenerateTarget' "
            'else step'
        )
    elif swap.target:
        steps.append("dict(step, encoder=codec) if step['type'] == 'GenerateTarget' else step")
    if swap.plain_affine:
        steps.append("dict(step, use_udp=False) if step['type'] == 'TopdownAffine' else step")
    lines, source = [], swap.source
    for step in steps:
        lines += [f'{swap.name} = [', f'    {step}', f'    for step in {source}', ']']
        source = swap.name
    return lines


def write_pipelines(source: SourceLines, plan: ConversionPlan) -> None:
    """The swapped pipeline variables, the loaders' own pipelines, the loaders, and
    ``PipelineSwitchHook``'s second stage."""
    comment = [
        'The stock pipelines captured the old codec when they were read: swap their GenerateTarget.'
    ]
    if plan.udp_affine:
        comment.append(UDP_AFFINE_NOTE)
    source.section(comment)
    variables = [swap for swap in plan.pipelines if swap.own_loader is None]
    for index, swap in enumerate(variables):
        if index:
            source.lines.append('')
        source.lines += swap_lines(swap)
    for swap in plan.pipelines:
        if swap.own_loader is not None:
            split = swap.own_loader
            source.section(
                [f'The stock {split}_dataloader does not use {split}_pipeline: swap its own.'],
                swap_lines(swap),
            )
    if plan.loader_pipelines:
        source.lines.append('')
        source.lines += [
            f'{split}_dataloader = dict(dataset=dict(pipeline={name}))'
            for split, name in plan.loader_pipelines.items()
        ]
    if plan.switch_pipeline is not None:
        source.section(
            ['PipelineSwitchHook switches to its own copy of the second-stage pipeline.'],
            [
                'custom_hooks = [',
                f"    dict(hook, switch_pipeline={plan.switch_pipeline}) if 'switch_pipeline' in "
                'hook else hook',
                '    for hook in _base_.custom_hooks',
                ']',
            ],
        )


def evaluator_lines(evaluator: EvaluatorPlan) -> List[str]:
    """One split's evaluator list: the stock metrics, the face metric, the floor."""
    name, stock = f'{evaluator.split}_evaluator', f'_base_.{evaluator.split}_evaluator'
    every = f'*{stock}' if evaluator.stock_is_list else stock
    floor = "dict(type='QuantizationFloorMetric', codec=codec, metric={})"
    if evaluator.face_metric is None:
        first = f'{stock}[0]' if evaluator.stock_is_list else stock
        return [f'{name} = [', f'    {every},', f'    {floor.format(first)},', ']']
    metric = {key: literal(value) for key, value in evaluator.face_metric.items()}
    face = call_or_lines('dict', metric, indent='    ')
    face_lines = [f'    {face[0]}', *face[1:-1], f'{face[-1]},'] if len(face) > 1 else []
    return [
        f'{name} = [',
        f'    {every},',
        *(face_lines or [f'    {face[0]},']),
        ']',
        f'{name} += [{floor.format(f"{name}[-1]")}]',
    ]


def write_evaluators(source: SourceLines, plan: ConversionPlan) -> None:
    """The stock evaluators, then the face metric and the codec's quantization floor."""
    if not plan.evaluators:
        return
    comment = (
        'The stock evaluator first, with its unprefixed keys (the stock save_best reads them), '
        "then the codec's quantization floor in the same units ('floor/...')."
    )
    if any(evaluator.face_metric for evaluator in plan.evaluators):
        comment = (
            'The stock evaluator first, with its unprefixed keys (the stock save_best reads '
            'them); then the per-image NME and failure rate in percent and the CED AUC that '
            "face-alignment papers report ('face/NME_percent', 'face/FR@10_percent', "
            "'face/AUC@10'), normalised as the stock NME is; then the codec's quantization "
            "floor scored by that face metric ('floor/face/...')."
        )
    if plan.detected_boxes:
        comment += (
            ' The floor needs ground-truth keypoints: it skips the detected boxes (counted in '
            "'floor/num_skipped'); evaluate with bbox_file=None to measure it."
        )
    source.section([comment])
    for evaluator in plan.evaluators:
        if evaluator.same_as_val:
            source.lines.append('test_evaluator = val_evaluator')
        else:
            source.lines += evaluator_lines(evaluator)
