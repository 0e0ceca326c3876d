"""Write an H3R config that inherits any MMPose top-down heatmap config.

The written file is a short child config in the style of the hand-written ones in
``configs/``. It swaps in the randomized-rounding codec everywhere the stock config holds a
codec, because MMEngine substitutes ``codec`` into the head and the pipelines when the base
file is read, so redefining ``codec`` alone changes nothing else:

* the head: ``HeatmapHead`` becomes ``H3RHead``, ``ViPNASHead`` ``H3RViPNASHead`` and
  ``CPMHead`` (CPM, Stacked Hourglass) ``H3RCPMHead`` and ``MSPNHead`` (MSPN, RSN)
  ``H3RMSPNHead``, with the stock channels, stages, deconvolutions, convolutions and final
  layer (``VisPredictHead`` keeps its visibility branch around the new pose head). A
  ``stride`` coarser than the stock heatmap adds ``num_downsample_layers`` stride-2 blocks
  (MSPN: a smaller ``out_shape``);
* every ``GenerateTarget``, in the data loaders and in ``PipelineSwitchHook``'s second stage;
* flip testing: the codec's grid is mirror-symmetric, so ``shift_heatmap=False``;
* ``TopdownAffine(use_udp=True)`` becomes ``use_udp=False`` (see :data:`UDP_AFFINE_NOTE`);
* the evaluators: the stock ones, then ``QuantizationFloorMetric`` on the first of them.

Other heads are refused with :func:`refusal_message`.
"""

import inspect
import math
import shlex
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .stock_config import base_reference, iter_dicts, load_stock_config, steps_of_type

#: Heatmap strides (input pixels per heatmap cell) the converter can target.
STRIDES = (4, 8, 16)

#: Stock heads and the H3R head that replaces each.
H3R_HEADS = {
    'HeatmapHead': 'H3RHead',
    'ViPNASHead': 'H3RViPNASHead',
    'CPMHead': 'H3RCPMHead',
    'MSPNHead': 'H3RMSPNHead',
}

#: Heads that wrap a pose head, and the argument that holds it.
WRAPPER_HEADS = {'VisPredictHead': 'pose_cfg'}

#: Heads whose outputs are interpolated to ``out_shape`` ``(H, W)``: a coarser stride sets it
#: instead of adding downsampling blocks.
OUT_SHAPE_HEADS = ('MSPNHead',)

#: Arguments copied from the stock head, in the order they are written.
HEAD_ARGUMENTS = (
    'in_channels',
    'out_channels',
    'num_stages',
    'num_units',
    'out_shape',
    'unit_channels',
    'use_prm',
    'norm_cfg',
    'deconv_out_channels',
    'deconv_kernel_sizes',
    'deconv_num_groups',
    'conv_out_channels',
    'conv_kernel_sizes',
    'final_layer',
)

#: Why a converted config uses the plain affine (also written into the config).
UDP_AFFINE_NOTE = (
    'TopdownAffine(use_udp=True) maps the box onto pixels 0..w-1 while TopdownPoseEstimator '
    'maps predictions back as if onto 0..w (UDPHeatmap compensates in its decoder): this codec '
    'round-trips exactly with the plain affine.'
)


class ConversionRefused(ValueError):
    """The config cannot be converted; the message says why and what to do instead."""


def refusal_message(head_type: str) -> str:
    """The documented message for a config whose head the converter refuses."""
    return (
        f'head type {head_type!r} is not a top-down heatmap head the converter knows '
        f'({", ".join(sorted([*H3R_HEADS, *WRAPPER_HEADS]))}); convert a config with one of '
        'these heads.'
    )


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


def find_pose_head(model: dict) -> Tuple[Tuple[str, ...], dict]:
    """The pose head of a model config and its key path below ``model``.

    Raises:
        ConversionRefused: for a head the converter does not know, with :func:`refusal_message`.
    """
    if model.get('type') != 'TopdownPoseEstimator' or 'head' not in model:
        raise ConversionRefused(
            'the converter needs a top-down heatmap config (model.type='
            f"'TopdownPoseEstimator'), got model.type={model.get('type')!r}"
        )
    path, head = ('head',), model['head']
    if head.get('type') in WRAPPER_HEADS:
        inner = WRAPPER_HEADS[head['type']]
        path, head = path + (inner,), head[inner]
    if head.get('type') not in H3R_HEADS:
        raise ConversionRefused(refusal_message(str(head.get('type'))))
    return path, head


def head_defaults(head_type: str) -> Dict[str, object]:
    """The constructor defaults of a stock MMPose head (what an omitted argument means)."""
    from mmpose.registry import MODELS

    import h3r_mmpose.models  # noqa: F401  (makes MMPose's heads importable by name)

    head_class = MODELS.get(head_type)
    return {
        name: parameter.default
        for name, parameter in inspect.signature(head_class).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def h3r_head_arguments(head: dict, stock_codec: dict) -> Dict[str, object]:
    """The layer arguments of the H3R head: the stock head's, defaults filled in.

    Kernel sizes and groups are written only with the layers they describe, and the final
    layer only when it is not the default 1x1 convolution. A ``combined`` UDP head predicts
    3 maps per keypoint (a heatmap and two offsets); the H3R head predicts one.
    """
    stock = {**head_defaults(head['type']), **head}
    arguments = {name: stock[name] for name in HEAD_ARGUMENTS if name in stock}
    if stock_codec.get('heatmap_type') == 'combined':
        arguments['out_channels'] = stock['out_channels'] // 3
    if 'deconv_out_channels' in arguments and not arguments['deconv_out_channels']:
        arguments['deconv_out_channels'] = None
        arguments.pop('deconv_kernel_sizes', None)
        arguments.pop('deconv_num_groups', None)
    if not arguments.get('conv_out_channels'):
        arguments.pop('conv_out_channels', None)
        arguments.pop('conv_kernel_sizes', None)
    if arguments.get('final_layer') == dict(kernel_size=1):
        arguments.pop('final_layer')
    if not arguments.get('use_prm', True):
        arguments.pop('use_prm')
    return {
        key: tuple(value) if isinstance(value, list) else value for key, value in arguments.items()
    }


def downsampled_size(size: Tuple[int, int], num_layers: int) -> Tuple[int, int]:
    """Heatmap size after ``num_layers`` stride-2 3x3 convolutions with padding 1."""
    for _ in range(num_layers):
        size = tuple(math.ceil(side / 2) for side in size)
    return tuple(size)


def plan_resolution(
    input_size: Sequence[int], heatmap_size: Sequence[int], stride: Optional[int]
) -> Tuple[int, Tuple[int, int]]:
    """Downsampling blocks and heatmap size for a requested stride.

    Args:
        input_size (Sequence[int]): the stock codec's ``(w, h)``.
        heatmap_size (Sequence[int]): the stock codec's ``(W, H)``, what the stock head outputs.
        stride (int, optional): 4, 8 or 16; None keeps the stock heatmap.

    Returns:
        tuple: the number of stride-2 blocks and the heatmap size ``(W, H)`` they give.

    Raises:
        ValueError: for a stride not in :data:`STRIDES`, a stock heatmap without one integer
            stride, or a stride finer than the stock heatmap or not a power-of-two multiple.
    """
    heatmap_size = (int(heatmap_size[0]), int(heatmap_size[1]))
    if stride is None:
        return 0, heatmap_size
    if stride not in STRIDES:
        raise ValueError(f'stride must be one of {STRIDES}, got {stride!r}')
    strides = {input_side / side for input_side, side in zip(input_size, heatmap_size)}
    stock_stride = strides.pop()
    if strides or not stock_stride.is_integer():
        raise ValueError(
            f'stride {stride} needs a stock heatmap at one integer stride, but input_size '
            f'{tuple(input_size)} and heatmap_size {heatmap_size} have none; convert without '
            'a stride to keep the stock heatmap'
        )
    ratio = stride / stock_stride
    if ratio < 1 or not math.log2(ratio).is_integer():
        raise ValueError(
            f'stride {stride} is not the stock head output stride {int(stock_stride)} times a '
            'power of two (the converter only adds stride-2 downsampling)'
        )
    num_layers = int(math.log2(ratio))
    return num_layers, downsampled_size(heatmap_size, num_layers)


def codec_arguments(
    input_size: Sequence[int], heatmap_size: Sequence[int], options: Dict[str, object]
) -> Dict[str, object]:
    """The codec config: the sizes and only the options the user chose (those not None), so
    that the codec's own defaults apply to the rest. Building it checks every value.

    Raises:
        ValueError: from the codec, naming a bad option and its value.
    """
    from h3r_mmpose.codecs import RandomizedRoundingHeatmap

    codec = dict(
        type='RandomizedRoundingHeatmap',
        input_size=tuple(int(side) for side in input_size),
        heatmap_size=tuple(heatmap_size),
    )
    codec.update({key: value for key, value in options.items() if value is not None})
    RandomizedRoundingHeatmap(**{key: value for key, value in codec.items() if key != 'type'})
    return codec


def needs_swap(pipeline) -> bool:
    """Whether a pipeline holds a ``GenerateTarget`` or a UDP ``TopdownAffine`` to swap."""
    if not isinstance(pipeline, (list, tuple)) or not all(isinstance(s, dict) for s in pipeline):
        return False
    return bool(steps_of_type(pipeline, 'GenerateTarget')) or uses_udp_affine(pipeline)


def uses_udp_affine(pipeline: List[dict]) -> bool:
    """Whether a pipeline crops with ``TopdownAffine(use_udp=True)``."""
    return any(step.get('use_udp', False) for step in steps_of_type(pipeline, 'TopdownAffine'))


def swap_lines(name: str, source: str, pipeline: List[dict]) -> List[str]:
    """Assignments that make ``name`` a copy of the pipeline ``source`` with the codec in its
    ``GenerateTarget`` and the plain affine in place of a UDP one: one simple list
    comprehension per swap, the second reading the first's result."""
    swaps = []
    targets = steps_of_type(pipeline, 'GenerateTarget')
    if any(step.get('multilevel', False) for step in targets):  # MSPN: one target, one level
        swaps.append(
            "dict(step, encoder=codec, multilevel=False) if step['type'] == 'GenerateTarget' "
            'else step'
        )
    elif targets:
        swaps.append("dict(step, encoder=codec) if step['type'] == 'GenerateTarget' else step")
    if uses_udp_affine(pipeline):
        swaps.append("dict(step, use_udp=False) if step['type'] == 'TopdownAffine' else step")
    lines = []
    for swap in swaps:
        lines += [f'{name} = [', f'    {swap}', f'    for step in {source}', ']']
        source = name
    return lines


class _Writer:
    """Collects the written config: sections of comment lines and code lines."""

    def __init__(self) -> None:
        self.lines: List[str] = []

    def section(self, comment: Sequence[str], code: Sequence[str] = ()) -> None:
        """A blank line, the comment (paragraphs, each wrapped at 100 columns), the code."""
        if self.lines:
            self.lines.append('')
        for paragraph in comment:
            lines = textwrap.wrap(paragraph, 98, break_long_words=False, break_on_hyphens=False)
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


def describe_resolution(input_size: Sequence[int], heatmap_size: Sequence[int]) -> str:
    """``'at 1/4 of the input (48x64)'``, or the sizes where there is no single stride."""
    strides = {input_side / side for input_side, side in zip(input_size, heatmap_size)}
    size = f'{heatmap_size[0]}x{heatmap_size[1]}'
    stride = strides.pop()
    if not strides and stride.is_integer():
        return f'at 1/{int(stride)} of the input ({size})'
    return f'of {size} cells for the {input_size[0]}x{input_size[1]} input'


def convert_config(
    config: str,
    out_file: str,
    stride: Optional[int] = None,
    target_type: Optional[str] = None,
    decoder: Optional[str] = None,
    radius: Optional[float] = None,
    topk: Optional[int] = None,
) -> str:
    """The source of an H3R config that inherits ``config``.

    Args:
        config (str): the stock config, ``mmpose::path/to/config.py`` or a file path.
        out_file (str): where the result will be written; a ``config`` file outside an
            installed package is named relative to it.
        stride (int, optional): heatmap stride 4, 8 or 16; None keeps the stock heatmap.
        target_type, decoder, radius, topk (optional): the codec's arguments of these names;
            None (the default) leaves each to the codec's default.

    Returns:
        str: the config's source.

    Raises:
        ConversionRefused: for a config whose head or pipelines cannot be converted.
        ValueError: for a bad ``config``, ``stride`` or codec argument, naming it.
    """
    cfg = load_stock_config(config)
    head_path, head = find_pose_head(cfg.model)
    stock_codec = head.get('decoder') or cfg.get('codec')
    if not isinstance(stock_codec, dict) or not {'input_size', 'heatmap_size'} <= set(stock_codec):
        raise ConversionRefused(
            f'the head of {config!r} has no decoder with input_size and heatmap_size'
        )
    input_size = tuple(int(side) for side in stock_codec['input_size'])
    stock_heatmap = tuple(int(side) for side in stock_codec['heatmap_size'])
    num_downsample_layers, heatmap_size = plan_resolution(input_size, stock_heatmap, stride)
    codec_options = dict(target_type=target_type, decoder=decoder, radius=radius, topk=topk)
    codec = codec_arguments(input_size, heatmap_size, codec_options)
    head_arguments = h3r_head_arguments(head, stock_codec)
    if head['type'] in OUT_SHAPE_HEADS:  # the units interpolate to out_shape: set it
        head_arguments['out_shape'] = (heatmap_size[1], heatmap_size[0])
        num_downsample_layers = 0
    if num_downsample_layers and head_arguments.get('final_layer', {}) is None:
        raise ValueError(
            f'stride {stride} adds stride-2 blocks before the final layer, but the stock '
            f'{head["type"]} has none (final_layer=None); convert without a stride'
        )

    writer = _Writer()
    options = dict(stride=stride, target=target_type, decoder=decoder, radius=radius, topk=topk)
    write_header(writer, cfg, config, base_reference(config, Path(out_file)), options, codec)
    write_codec(writer, codec)
    write_model(
        writer,
        cfg,
        head_path,
        head['type'],
        head_arguments,
        num_downsample_layers,
        stock_heatmap,
    )
    write_pipelines(writer, cfg)
    write_evaluators(writer, cfg)
    if 'codec' in cfg:
        writer.section(
            [
                'A plain `codec = dict(...)` would merge into the stock codec and keep its other '
                'arguments. Replace it here, last, so the uses above hold the dict without the '
                '`_delete_` flag.'
            ],
            ['codec = dict(_delete_=True, **codec)'],
        )
    return writer.text()


def write_header(
    writer: _Writer, cfg: Config, config: str, base: str, options: dict, codec: dict
) -> None:
    """What the file is and how it was made, ``_base_`` and ``custom_imports``."""
    command = ['python', 'tools/convert_config.py', config]
    for flag, value in options.items():
        if value is not None:
            command += [f'--{flag}', str(value)]
    backbone = cfg.model.get('backbone', {}).get('type', 'the stock backbone')
    dataset = cfg.train_dataloader.dataset.get('type', 'the stock dataset')
    resolution = describe_resolution(codec['input_size'], codec['heatmap_size'])
    writer.section(
        [
            f'{Path(config).stem} with randomized-rounding heatmaps {resolution}. Everything '
            f'else ({backbone}, {dataset}, schedule, augmentation, stock metric) is the stock '
            'config.',
            'Written by:',
        ]
    )
    writer.lines.append('#   ' + ' '.join(shlex.quote(part) for part in command) + ' --out FILE')
    if len(f"_base_ = ['{base}']") <= 100:
        writer.lines.append(f"_base_ = ['{base}']")
    else:
        writer.lines += ['_base_ = [', f"    '{base}',", ']']
    imports = list(cfg.get('custom_imports', {}).get('imports', []))
    if 'h3r_mmpose' not in imports:
        imports.append('h3r_mmpose')
    arguments = dict(imports=literal(imports), allow_failed_imports='False')
    one_line = 'custom_imports = dict(' + ', '.join(f'{k}={v}' for k, v in arguments.items()) + ')'
    if len(one_line) <= 100:
        writer.lines.append(one_line)
    else:
        writer.assign('custom_imports', call_lines('dict', arguments))


def write_codec(writer: _Writer, codec: dict) -> None:
    """The codec: the sizes and the options the user chose."""
    writer.section(
        [
            'Only the sizes and the options given to the converter are set, so the codec '
            "defaults apply to the rest: target_type ('expected', the bilinear 2x2 "
            "distribution, or 'stochastic', the paper's one-hot draws), the decoder and its "
            'radius or topk.'
        ]
    )
    writer.assign('codec', call_lines('dict', {k: literal(v) for k, v in codec.items()}))


def write_model(
    writer: _Writer,
    cfg: Config,
    head_path: Tuple[str, ...],
    head_type: str,
    head_arguments: Dict[str, object],
    num_downsample_layers: int,
    stock_heatmap: Tuple[int, int],
) -> None:
    """The H3R head in place of the stock one, and flip testing without the shift."""
    arguments = {'_delete_': 'True', 'type': repr(H3R_HEADS[head_type])}
    arguments.update({key: literal(value) for key, value in head_arguments.items()})
    if num_downsample_layers:
        arguments['num_downsample_layers'] = str(num_downsample_layers)
    arguments['loss'] = "dict(type='HeatmapCrossEntropyLoss')"
    arguments['decoder'] = 'codec'

    indent = '    ' * len(head_path)
    lines = call_lines('dict', arguments, indent)
    lines[0] = f'{indent}{head_path[-1]}={lines[0]}'
    lines[-1] += ','
    for depth in range(len(head_path) - 1, 0, -1):  # VisPredictHead: keep it, swap pose_cfg
        outer = '    ' * depth
        lines = [f'{outer}{head_path[depth - 1]}=dict('] + lines + [f'{outer}),']

    comment = (
        f'The stock {head_type} layers in {H3R_HEADS[head_type]}: logits for the grid '
        'cross-entropy and the decoder.'
    )
    if num_downsample_layers:
        target = downsampled_size(stock_heatmap, num_downsample_layers)
        blocks = '1 stride-2 conv block' if num_downsample_layers == 1 else '2 stride-2 conv blocks'
        comment += (
            f' {blocks} before the final layer take the stock '
            f'{stock_heatmap[0]}x{stock_heatmap[1]} heatmap to {target[0]}x{target[1]}.'
        )
    comment += " The codec's corner-to-corner grid is mirror-symmetric: no one-pixel flip shift."
    flip_test = bool(cfg.model.get('test_cfg', {}).get('flip_test', False))
    test_cfg = f"dict(flip_test={flip_test}, flip_mode='heatmap', shift_heatmap=False)"
    writer.section([comment], ['model = dict(', *lines, f'    test_cfg={test_cfg},', ')'])


def stock_pipelines(cfg: Config) -> Dict[str, List[dict]]:
    """Top-level pipeline variables of the stock config that hold a step to swap."""
    return {name: value for name, value in cfg.items() if needs_swap(value)}


def write_pipelines(writer: _Writer, cfg: Config) -> None:
    """Swap ``GenerateTarget`` (and the UDP affine) in every pipeline the config uses: its
    pipeline variables, its data loaders and ``PipelineSwitchHook``'s second stage.

    Raises:
        ConversionRefused: if a step to swap lies where the converter does not look.
    """
    variables = stock_pipelines(cfg)
    comment = [
        'The stock pipelines captured the old codec when they were read: swap their GenerateTarget.'
    ]
    if any(uses_udp_affine(pipeline) for pipeline in variables.values()):
        comment.append(UDP_AFFINE_NOTE)
    writer.section(comment)
    for index, (name, pipeline) in enumerate(variables.items()):
        if index:
            writer.lines.append('')
        writer.lines += swap_lines(name, f'_base_.{name}', pipeline)
    handled = [(name,) for name in variables]

    loader_lines = []
    for split in ('train', 'val', 'test'):
        pipeline = (cfg.get(f'{split}_dataloader') or {}).get('dataset', {}).get('pipeline')
        if not needs_swap(pipeline):
            continue
        handled.append((f'{split}_dataloader', 'dataset', 'pipeline'))
        source = _variable_holding(variables, pipeline, preferred=f'{split}_pipeline')
        if source is None:  # e.g. a child that redefined train_pipeline but not the loader
            source = f'{split}_loader_pipeline'
            writer.section(
                [f'The stock {split}_dataloader does not use {split}_pipeline: swap its own.'],
                swap_lines(source, f'_base_.{split}_dataloader.dataset.pipeline', pipeline),
            )
        loader_lines.append(f'{split}_dataloader = dict(dataset=dict(pipeline={source}))')
    writer.lines += [''] + loader_lines if loader_lines else []

    hooks = cfg.get('custom_hooks') or []
    switching = [hook for hook in hooks if needs_swap(hook.get('switch_pipeline'))]
    if switching:
        handled += [('custom_hooks', hooks.index(hook), 'switch_pipeline') for hook in switching]
        sources = {_variable_holding(variables, hook['switch_pipeline']) for hook in switching}
        if None in sources or len(sources) > 1:
            raise ConversionRefused(
                'custom_hooks switch to a pipeline that is not a top-level variable of the '
                'config; name it (e.g. train_pipeline_stage2) and convert again'
            )
        (source,) = sources
        writer.section(
            ['PipelineSwitchHook switches to its own copy of the second-stage pipeline.'],
            [
                'custom_hooks = [',
                f"    dict(hook, switch_pipeline={source}) if 'switch_pipeline' in hook else hook",
                '    for hook in _base_.custom_hooks',
                ']',
            ],
        )
    check_every_step_swapped(cfg, handled)


def _variable_holding(
    variables: Dict[str, list], pipeline: list, preferred: Optional[str] = None
) -> Optional[str]:
    """The name of a pipeline variable equal to ``pipeline``, ``preferred`` first."""
    names = sorted(variables, key=lambda name: name != preferred)
    return next((name for name in names if variables[name] == pipeline), None)


def check_every_step_swapped(cfg: Config, handled: List[Tuple]) -> None:
    """Refuse a config with a ``GenerateTarget`` or UDP affine outside the swapped places.

    Raises:
        ConversionRefused: naming the first such step's key path.
    """
    for path, node in iter_dicts(cfg.to_dict()):
        swappable = node.get('type') == 'GenerateTarget' or (
            node.get('type') == 'TopdownAffine' and node.get('use_udp', False)
        )
        if swappable and not any(path[: len(prefix)] == prefix for prefix in handled):
            raise ConversionRefused(
                f'the config holds a {node["type"]} at {".".join(map(str, path))}, where the '
                'converter does not swap it; move it into a top-level pipeline variable'
            )


def write_evaluators(writer: _Writer, cfg: Config) -> None:
    """The stock evaluators, then the codec's quantization floor on the first of them."""
    if not cfg.get('val_evaluator'):
        return
    comment = (
        'The stock evaluator first, with its unprefixed keys (the stock save_best reads them), '
        "then the codec's quantization floor in the same units ('floor/...')."
    )
    if any(
        (cfg.get(f'{split}_dataloader') or {}).get('dataset', {}).get('bbox_file')
        for split in ('val', 'test')
    ):
        comment += (
            ' The floor needs ground-truth keypoints: it skips the detected boxes (counted in '
            "'floor/num_skipped'); evaluate with bbox_file=None to measure it."
        )
    writer.section([comment])
    for split in ('val', 'test'):
        evaluator = cfg.get(f'{split}_evaluator')
        if split == 'test' and evaluator == cfg.val_evaluator:
            writer.lines.append('test_evaluator = val_evaluator')
            continue
        if not evaluator:
            continue
        stock = f'_base_.{split}_evaluator'
        if isinstance(evaluator, dict):
            every, first = stock, stock
        else:
            every, first = f'*{stock}', f'{stock}[0]'
        writer.lines += [
            f'{split}_evaluator = [',
            f'    {every},',
            f"    dict(type='QuantizationFloorMetric', codec=codec, metric={first}),",
            ']',
        ]


def write_converted_config(config: str, out_file: str, **options) -> Path:
    """Convert ``config`` (see :func:`convert_config`) and write the result to ``out_file``.

    Returns:
        Path: the written file.
    """
    text = convert_config(config, out_file, **options)
    path = Path(out_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
