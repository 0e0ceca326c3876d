"""What converting an MMPose top-down heatmap config to H3R changes: the plan.

:func:`plan_conversion` reads the stock config and decides every change, as data
(:class:`ConversionPlan`); :mod:`.config_writer` turns a plan into the source of a child
config. The changes, each where the stock config holds a codec (MMEngine substitutes ``codec``
into the head and the pipelines when the base file is read, so redefining ``codec`` alone
changes nothing else):

* the head: ``HeatmapHead`` becomes ``H3RHead``, ``ViPNASHead`` ``H3RViPNASHead``,
  ``CPMHead`` (CPM, Stacked Hourglass) ``H3RCPMHead`` and ``MSPNHead`` (MSPN, RSN)
  ``H3RMSPNHead``, with the stock channels, stages, deconvolutions, convolutions and final
  layer (``VisPredictHead`` keeps its visibility branch around the new pose head). A
  ``stride`` coarser than the stock heatmap adds ``num_downsample_layers`` stride-2 blocks
  (MSPN: a smaller ``out_shape``);
* every ``GenerateTarget``, in the data loaders and in ``PipelineSwitchHook``'s second stage;
* flip testing: the codec's grid is mirror-symmetric, so ``shift_heatmap=False``;
* ``TopdownAffine(use_udp=True)`` becomes ``use_udp=False`` (see :data:`UDP_AFFINE_NOTE`);
* the evaluators: the stock ones; for a face dataset evaluated with MMPose's ``NME``, the
  per-image ``FaceAlignmentMetric`` with the same normaliser; then ``QuantizationFloorMetric``
  on the face metric, or else on the first stock metric.

Other heads are refused with :func:`refusal_message`.
"""

import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

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

#: Arguments of MMPose's ``NME`` that ``FaceAlignmentMetric`` takes as well (the normaliser).
FACE_NORMALISER_ARGUMENTS = ('norm_mode', 'norm_item', 'keypoint_indices')

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


@dataclass
class HeadPlan:
    """The H3R head that replaces the stock pose head.

    Args:
        path (tuple[str]): its key path below ``model``: ``('head',)``, or
            ``('head', 'pose_cfg')`` inside a ``VisPredictHead``.
        stock_type (str): the stock head's type, a key of :data:`H3R_HEADS`.
        arguments (dict): the layer arguments copied from the stock head, in
            :data:`HEAD_ARGUMENTS` order.
        num_downsample_layers (int): stride-2 blocks added before the final layer.
        stock_heatmap_size (tuple): the stock head's output ``(W, H)``.
    """

    path: Tuple[str, ...]
    stock_type: str
    arguments: Dict[str, object]
    num_downsample_layers: int
    stock_heatmap_size: Tuple[int, int]

    @property
    def type(self) -> str:
        return H3R_HEADS[self.stock_type]


@dataclass
class PipelineSwap:
    """A pipeline variable written as a copy of another with its codec steps swapped.

    Args:
        name (str): the variable written.
        source (str): the expression it copies, e.g. ``'_base_.train_pipeline'``.
        target (bool): whether a ``GenerateTarget`` gets the codec as its encoder.
        single_level (bool): whether that target also gets ``multilevel=False`` (MSPN).
        plain_affine (bool): whether ``TopdownAffine(use_udp=True)`` gets ``use_udp=False``.
        own_loader (str, optional): the split whose data loader holds this pipeline itself
            (not a top-level variable of the stock config).
    """

    name: str
    source: str
    target: bool
    single_level: bool
    plain_affine: bool
    own_loader: Optional[str] = None


@dataclass
class EvaluatorPlan:
    """One split's evaluators: the stock ones, a face metric, the quantization floor.

    Args:
        split (str): ``'val'`` or ``'test'``.
        same_as_val (bool): the test evaluator is the stock val evaluator: reuse ours.
        stock_is_list (bool): whether the stock evaluator is a list of metrics.
        face_metric (dict, optional): the ``FaceAlignmentMetric`` config added after them.
    """

    split: str
    same_as_val: bool
    stock_is_list: bool
    face_metric: Optional[Dict[str, object]] = None


@dataclass
class ConversionPlan:
    """Everything the converted config changes, and what its header says.

    Args:
        command (list[str]): the converter's command line that reproduces the file.
        stock_name (str): the stock config's file stem.
        backbone (str), dataset (str): the stock backbone and training dataset types.
        base (str): how the written config names the config it inherits.
        custom_imports (list[str]): the stock ``custom_imports`` and ``'h3r_mmpose'``.
        codec (dict): the codec config: the sizes and the options given.
        head (HeadPlan): the new head.
        flip_test (bool): the stock ``test_cfg.flip_test``.
        pipelines (list[PipelineSwap]): the swapped pipelines, in the order written.
        udp_affine (bool): whether a top-level pipeline crops with the UDP affine.
        loader_pipelines (dict): each data loader's split and the variable it now reads.
        switch_pipeline (str, optional): the variable ``PipelineSwitchHook`` switches to.
        evaluators (list[EvaluatorPlan]): per split with a stock evaluator.
        detected_boxes (bool): whether a val or test loader reads detected boxes.
        replace_codec (bool): whether the stock config has a top-level ``codec`` to replace.
    """

    command: List[str]
    stock_name: str
    backbone: str
    dataset: str
    base: str
    custom_imports: List[str]
    codec: Dict[str, object]
    head: HeadPlan
    flip_test: bool
    pipelines: List[PipelineSwap] = field(default_factory=list)
    udp_affine: bool = False
    loader_pipelines: Dict[str, str] = field(default_factory=dict)
    switch_pipeline: Optional[str] = None
    evaluators: List[EvaluatorPlan] = field(default_factory=list)
    detected_boxes: bool = False
    replace_codec: bool = False


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
    input_size: Sequence[int], heatmap_size: Sequence[int], options: Mapping[str, object]
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


def converter_command(
    config: str, out_file: str, stride: Optional[int], codec_options: Mapping[str, object]
) -> List[str]:
    """The ``tools/convert_config.py`` command line that writes this conversion: the config,
    each option given (``target_type`` as ``--target``, the others by name) and ``--out``."""
    command = ['python', 'tools/convert_config.py', config]
    flags = {'stride': stride, **codec_options}
    for name, value in flags.items():
        if value is not None:
            command += ['--target' if name == 'target_type' else f'--{name}', str(value)]
    return command + ['--out', str(out_file)]


def in_table_order(decoder_arguments: Mapping[str, object]) -> Dict[str, object]:
    """Decoder arguments in the order of the decoder table (so that the recorded command does
    not depend on the caller's order); names no decoder takes come last, for the codec to
    refuse."""
    from h3r_mmpose.codecs.utils import decoder_argument_names

    order = decoder_argument_names()
    rank = {name: index for index, name in enumerate(order)}
    return dict(sorted(decoder_arguments.items(), key=lambda item: rank.get(item[0], len(order))))


def needs_swap(pipeline) -> bool:
    """Whether a pipeline holds a ``GenerateTarget`` or a UDP ``TopdownAffine`` to swap."""
    if not isinstance(pipeline, (list, tuple)) or not all(isinstance(s, dict) for s in pipeline):
        return False
    return bool(steps_of_type(pipeline, 'GenerateTarget')) or uses_udp_affine(pipeline)


def uses_udp_affine(pipeline: List[dict]) -> bool:
    """Whether a pipeline crops with ``TopdownAffine(use_udp=True)``."""
    return any(step.get('use_udp', False) for step in steps_of_type(pipeline, 'TopdownAffine'))


def pipeline_swap(
    name: str, source: str, pipeline: List[dict], own_loader: Optional[str] = None
) -> PipelineSwap:
    """How the pipeline ``source`` becomes ``name``: which of its steps get swapped."""
    targets = steps_of_type(pipeline, 'GenerateTarget')
    return PipelineSwap(
        name=name,
        source=source,
        target=bool(targets),
        single_level=any(step.get('multilevel', False) for step in targets),
        plain_affine=uses_udp_affine(pipeline),
        own_loader=own_loader,
    )


def _variable_holding(
    variables: Mapping[str, list], pipeline: list, preferred: Optional[str] = None
) -> Optional[str]:
    """The name of a pipeline variable equal to ``pipeline``, ``preferred`` first."""
    names = sorted(variables, key=lambda name: name != preferred)
    return next((name for name in names if variables[name] == pipeline), None)


def plan_pipelines(cfg: Config, plan: ConversionPlan) -> None:
    """Swap ``GenerateTarget`` (and the UDP affine) in every pipeline the config uses: its
    pipeline variables, its data loaders and ``PipelineSwitchHook``'s second stage.

    Raises:
        ConversionRefused: if a step to swap lies where the converter does not look.
    """
    variables = {name: value for name, value in cfg.items() if needs_swap(value)}
    plan.pipelines = [
        pipeline_swap(name, f'_base_.{name}', pipeline) for name, pipeline in variables.items()
    ]
    plan.udp_affine = any(uses_udp_affine(pipeline) for pipeline in variables.values())
    handled = [(name,) for name in variables]

    for split in ('train', 'val', 'test'):
        pipeline = (cfg.get(f'{split}_dataloader') or {}).get('dataset', {}).get('pipeline')
        if not needs_swap(pipeline):
            continue
        handled.append((f'{split}_dataloader', 'dataset', 'pipeline'))
        source = _variable_holding(variables, pipeline, preferred=f'{split}_pipeline')
        if source is None:  # e.g. a child that redefined train_pipeline but not the loader
            source = f'{split}_loader_pipeline'
            stock = f'_base_.{split}_dataloader.dataset.pipeline'
            plan.pipelines.append(pipeline_swap(source, stock, pipeline, own_loader=split))
        plan.loader_pipelines[split] = source

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
        (plan.switch_pipeline,) = sources
    check_every_step_swapped(cfg, handled)


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


def dataset_name(dataset_cfg: Mapping) -> Optional[str]:
    """The ``dataset_name`` of a dataset config's metainfo (its own, or its class's)."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from mmpose.registry import DATASETS

    dataset_class = DATASETS.get(dataset_cfg.get('type'))
    metainfo = dataset_cfg.get('metainfo') or getattr(dataset_class, 'METAINFO', None)
    if not metainfo:
        return None
    return parse_pose_metainfo(dict(metainfo)).get('dataset_name')


def is_face_dataset(dataset_cfg: Mapping) -> bool:
    """Whether a dataset config reads one of MMPose's face datasets (or a subclass)."""
    import mmpose.datasets.datasets.face as face_datasets
    from mmpose.registry import DATASETS

    dataset_class = DATASETS.get(dataset_cfg.get('type'))
    face_classes = tuple(getattr(face_datasets, name) for name in face_datasets.__all__)
    return inspect.isclass(dataset_class) and issubclass(dataset_class, face_classes)


def face_metric(evaluator, dataset_cfg: Mapping) -> Optional[Dict[str, object]]:
    """``FaceAlignmentMetric`` with the normaliser of the stock ``NME``, for a face dataset.

    Its keypoint-distance normaliser takes the dataset's default pair from MMPose's ``NME``
    where the face metric has none of its own (e.g. COCO-WholeBody-Face, LaPa).

    Returns:
        dict: the metric config, or None when the dataset is not a face dataset, the stock
        evaluator has no ``NME``, or no normaliser is known for the dataset.
    """
    from mmpose.evaluation.metrics import NME

    from h3r_mmpose.evaluation.metrics.face_alignment_metric import DEFAULT_KEYPOINT_INDICES

    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    nme = next((metric for metric in metrics if metric.get('type') == 'NME'), None)
    if nme is None or not is_face_dataset(dataset_cfg):
        return None
    metric = dict(type='FaceAlignmentMetric')
    metric.update({key: nme[key] for key in FACE_NORMALISER_ARGUMENTS if key in nme})
    if metric.get('norm_mode', 'keypoint_distance') == 'keypoint_distance':
        name = dataset_name(dataset_cfg)
        if 'keypoint_indices' not in metric and name not in DEFAULT_KEYPOINT_INDICES:
            if name not in NME.DEFAULT_KEYPOINT_INDICES:
                return None
            metric['keypoint_indices'] = list(NME.DEFAULT_KEYPOINT_INDICES[name])
    if isinstance(metric.get('keypoint_indices'), tuple):
        metric['keypoint_indices'] = list(metric['keypoint_indices'])
    metric['prefix'] = 'face'
    return metric


def plan_evaluators(cfg: Config, plan: ConversionPlan) -> None:
    """The stock evaluators, a face metric for face datasets, then the quantization floor."""
    if not cfg.get('val_evaluator'):
        return
    plan.detected_boxes = any(
        (cfg.get(f'{split}_dataloader') or {}).get('dataset', {}).get('bbox_file')
        for split in ('val', 'test')
    )
    for split in ('val', 'test'):
        evaluator = cfg.get(f'{split}_evaluator')
        if not evaluator:
            continue
        dataset = (cfg.get(f'{split}_dataloader') or {}).get('dataset', {})
        plan.evaluators.append(
            EvaluatorPlan(
                split=split,
                same_as_val=split == 'test' and evaluator == cfg.val_evaluator,
                stock_is_list=not isinstance(evaluator, dict),
                face_metric=face_metric(evaluator, dataset),
            )
        )


def plan_conversion(
    config: str,
    out_file: str,
    stride: Optional[int] = None,
    target_type: Optional[str] = None,
    decoder: Optional[str] = None,
    **decoder_arguments,
) -> ConversionPlan:
    """Decide every change that converts ``config`` to H3R (see the module docstring).

    Args:
        config (str): the stock config, ``mmpose::path/to/config.py`` or a file path.
        out_file (str): where the result will be written; a ``config`` file outside an
            installed package is named relative to it.
        stride (int, optional): heatmap stride 4, 8 or 16; None keeps the stock heatmap.
        target_type, decoder (str, optional): the codec's arguments of these names; None
            leaves each to the codec's default.
        **decoder_arguments: the decoder's arguments (see
            :data:`~h3r_mmpose.codecs.utils.DECODERS`); None leaves one to its default.

    Returns:
        ConversionPlan: the changes.

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
    codec_options = dict(
        target_type=target_type, decoder=decoder, **in_table_order(decoder_arguments)
    )
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
    imports = list(cfg.get('custom_imports', {}).get('imports', []))
    if 'h3r_mmpose' not in imports:
        imports.append('h3r_mmpose')
    plan = ConversionPlan(
        command=converter_command(config, out_file, stride, codec_options),
        stock_name=Path(config).stem,
        backbone=cfg.model.get('backbone', {}).get('type', 'the stock backbone'),
        dataset=cfg.train_dataloader.dataset.get('type', 'the stock dataset'),
        base=base_reference(config, Path(out_file)),
        custom_imports=imports,
        codec=codec,
        head=HeadPlan(
            path=head_path,
            stock_type=head['type'],
            arguments=head_arguments,
            num_downsample_layers=num_downsample_layers,
            stock_heatmap_size=stock_heatmap,
        ),
        flip_test=bool(cfg.model.get('test_cfg', {}).get('flip_test', False)),
        replace_codec='codec' in cfg,
    )
    plan_pipelines(cfg, plan)
    plan_evaluators(cfg, plan)
    return plan
