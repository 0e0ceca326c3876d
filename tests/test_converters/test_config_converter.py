"""The converter's pieces and options: resolution planning, the written source, refusals, bad
options, user configs, and the command-line tool."""

import pytest
import torch
from mmengine.config import Config
from stock_configs import convert, pose_head
from torch import nn
from utils import load_tool

from h3r_mmpose.codecs.utils import DECODERS, decoder_argument_names
from h3r_mmpose.converters import (
    ConversionRefused,
    convert_config,
    plan_conversion,
    recorded_command,
    refusal_message,
    write_config,
    write_converted_config,
)
from h3r_mmpose.converters.config_writer import describe_resolution, literal
from h3r_mmpose.converters.conversion_plan import downsampled_size, plan_resolution

COCO_HRNET = (
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py'
)
COCO_RES50 = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py'


@pytest.mark.parametrize(
    'input_size, heatmap_size, stride, expected',
    [
        ((192, 256), (48, 64), None, (0, (48, 64))),
        ((192, 256), (48, 64), 4, (0, (48, 64))),
        ((192, 256), (48, 64), 8, (1, (24, 32))),
        ((192, 256), (48, 64), 16, (2, (12, 16))),
        ((256, 256), (32, 32), 16, (1, (16, 16))),
        ((368, 368), (46, 46), 16, (1, (23, 23))),
        ((192, 256), (40, 56), None, (0, (40, 56))),  # AlexNet: no integer stride
    ],
)
def test_plan_resolution(input_size, heatmap_size, stride, expected):
    assert plan_resolution(input_size, heatmap_size, stride) == expected


@pytest.mark.parametrize(
    'input_size, heatmap_size, stride, message',
    [
        ((192, 256), (48, 64), 2, r'stride must be one of \(4, 8, 16\), got 2'),
        ((192, 256), (48, 64), 12, r'stride must be one of \(4, 8, 16\), got 12'),
        ((256, 256), (32, 32), 4, 'stride 4 is not the stock head output stride 8'),
        ((192, 256), (40, 56), 8, r'input_size \(192, 256\) and heatmap_size \(40, 56\)'),
    ],
)
def test_plan_resolution_rejects_what_downsampling_cannot_make(
    input_size, heatmap_size, stride, message
):
    with pytest.raises(ValueError, match=message):
        plan_resolution(input_size, heatmap_size, stride)


@pytest.mark.parametrize('side', range(2, 70))
def test_downsampled_size_is_what_a_stride2_conv_outputs(side):
    conv = nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1)
    for layers in (1, 2):
        x = torch.zeros(1, 1, side, side + 1)
        for _ in range(layers):
            x = conv(x)
        assert downsampled_size((side + 1, side), layers) == (x.shape[3], x.shape[2])


def test_describe_resolution():
    assert describe_resolution((192, 256), (48, 64)) == 'at 1/4 of the input (48x64)'
    assert describe_resolution((192, 256), (40, 56)) == 'of 40x56 cells for the 192x256 input'


def test_literal_writes_config_source():
    assert literal((256,)) == '(256,)'
    assert literal((4, 4, 4)) == '(4, 4, 4)'
    assert literal(dict(kernel_size=3, padding=1)) == 'dict(kernel_size=3, padding=1)'
    assert literal(['a', 'b']) == "['a', 'b']"
    assert literal(None) == 'None'


def test_written_source_is_a_readable_child_config(tmp_path):
    out_file = str(tmp_path / 'out.py')
    text = convert_config(COCO_HRNET, out_file, stride=8)
    assert text.startswith('# td-hm_hrnet-w32_8xb64-210e_coco-256x192 with randomized-rounding')
    assert f'#   python tools/convert_config.py {COCO_HRNET} --stride 8 --out {out_file}\n' in text
    assert f"_base_ = [\n    '{COCO_HRNET}',\n]" in text
    assert 'num_downsample_layers=1,' in text
    assert 'shift_heatmap=False' in text
    assert text.rstrip().endswith('codec = dict(_delete_=True, **codec)')


def test_codec_holds_only_the_sizes_and_the_chosen_options(tmp_path):
    cfg = convert(COCO_HRNET, tmp_path, target_type='stochastic', decoder='topk', topk=9)
    assert dict(cfg.codec) == dict(
        type='RandomizedRoundingHeatmap',
        input_size=(192, 256),
        heatmap_size=(48, 64),
        target_type='stochastic',
        decoder='topk',
        topk=9,
    )
    # No key of the stock MSRA codec (sigma) survives anywhere the codec is used.
    assert 'sigma' not in cfg.model.head.decoder
    assert cfg.val_evaluator[-1].codec == cfg.codec


@pytest.mark.parametrize(
    'options, message',
    [
        (dict(target_type='gaussian'), "target_type must be one of .*got 'gaussian'"),
        (dict(decoder='topk', topk=0), 'topk must be an integer from 1 to 25.*got 0'),
        (dict(topk=9), "topk is not used by decoder 'mean_shift', got topk=9"),
        (dict(decoder='paper', radius=2.0), "radius is not used by decoder 'paper', got radius"),
        (dict(radius=1.0), 'radius must be a finite number >= 1.5, got 1.0'),
        (dict(decoder='argmax'), "decoder must be one of .*got 'argmax'"),
        (dict(stride=32), r'stride must be one of \(4, 8, 16\), got 32'),
    ],
)
def test_bad_options_are_value_errors_naming_them(options, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        convert_config(COCO_HRNET, str(tmp_path / 'out.py'), **options)


def test_an_option_no_decoder_takes_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match='sigma is not an argument of any decoder'):
        convert_config(COCO_HRNET, str(tmp_path / 'out.py'), sigma=2.0)


def test_the_plan_is_data_and_the_writer_its_source(tmp_path):
    """The plan says what changes; writing it is all the converter adds."""
    out_file = str(tmp_path / 'out.py')
    plan = plan_conversion(COCO_HRNET, out_file, stride=16, decoder='topk', topk=9)
    assert plan.command == [
        'python',
        'tools/convert_config.py',
        COCO_HRNET,
        '--stride',
        '16',
        '--decoder',
        'topk',
        '--topk',
        '9',
        '--out',
        out_file,
    ]
    assert (plan.head.type, plan.head.num_downsample_layers) == ('H3RHead', 2)
    assert plan.head.arguments == dict(in_channels=32, out_channels=17, deconv_out_channels=None)
    assert plan.codec['heatmap_size'] == (12, 16) and plan.codec['topk'] == 9
    assert [(swap.name, swap.target, swap.plain_affine) for swap in plan.pipelines] == [
        ('train_pipeline', True, False)
    ]
    assert plan.loader_pipelines == {'train': 'train_pipeline'}
    assert [(e.split, e.same_as_val, e.face_metric) for e in plan.evaluators] == [
        ('val', False, None),
        ('test', True, None),
    ]
    assert plan.detected_boxes and plan.replace_codec
    text = write_config(plan)
    assert text == convert_config(COCO_HRNET, out_file, stride=16, decoder='topk', topk=9)
    assert recorded_command(text) == plan.command


def test_the_recorded_command_does_not_depend_on_the_callers_order(tmp_path):
    out_file = str(tmp_path / 'out.py')
    first = convert_config(COCO_HRNET, out_file, topk=9, decoder='paper', stride=8)
    assert first == convert_config(COCO_HRNET, out_file, stride=8, decoder='paper', topk=9)
    assert ' --stride 8 --decoder paper --topk 9 --out ' in first


def test_face_dataset_gets_the_face_metric_with_the_stock_normaliser(tmp_path):
    cfg = convert(
        'mmpose::face_2d_keypoint/topdown_heatmap/aflw/td-hm_hrnetv2-w18_8xb64-60e_aflw-256x256.py',
        tmp_path,
    )
    stock, face, floor = cfg.val_evaluator
    assert stock.type == 'NME'
    assert dict(face) == dict(
        type='FaceAlignmentMetric', norm_mode='use_norm_item', norm_item='bbox_size', prefix='face'
    )
    assert floor.metric == face and cfg.test_evaluator == cfg.val_evaluator


def test_a_face_dataset_the_face_metric_has_no_normaliser_for_gets_mmposes(tmp_path):
    """COCO-WholeBody-Face: the outer eye corners of MMPose's NME, written out."""
    cfg = convert(
        'mmpose::face_2d_keypoint/topdown_heatmap/coco_wholebody_face/'
        'td-hm_hrnetv2-w18_8xb32-60e_coco-wholebody-face-256x256.py',
        tmp_path,
    )
    face = cfg.val_evaluator[1]
    assert (face.type, face.keypoint_indices) == ('FaceAlignmentMetric', [36, 45])


def test_missing_config_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="config must be an existing .py config file, got 'x.py'"):
        convert_config('x.py', str(tmp_path / 'out.py'))
    with pytest.raises(ValueError, match="config package 'nopackage' is not installed"):
        convert_config('nopackage::a.py', str(tmp_path / 'out.py'))


@pytest.mark.parametrize(
    'config, head_type',
    [
        (
            'body_2d_keypoint/integral_regression/coco/ipr_res50_8xb64-210e_coco-256x256.py',
            'DSNTHead',
        ),
        ('body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py', 'SimCCHead'),
    ],
)
def test_unsupported_heads_are_refused_with_the_documented_message(config, head_type, tmp_path):
    with pytest.raises(ConversionRefused) as refusal:
        convert_config(f'mmpose::{config}', str(tmp_path / 'out.py'))
    assert str(refusal.value) == refusal_message(head_type)
    assert head_type in str(refusal.value)
    assert not (tmp_path / 'out.py').exists()


def test_refusal_message_names_the_head_and_the_heads_that_convert():
    assert refusal_message('SimCCHead') == (
        "head type 'SimCCHead' is not a top-down heatmap head the converter knows (CPMHead, "
        'HeatmapHead, MSPNHead, ViPNASHead, VisPredictHead); convert a config with one of '
        'these heads.'
    )


@pytest.mark.parametrize(
    'config, num_stages, final_layer',
    [
        ('body_2d_keypoint/topdown_heatmap/coco/td-hm_cpm_8xb64-210e_coco-256x192.py', 6, None),
        (
            'body_2d_keypoint/topdown_heatmap/coco/td-hm_hourglass52_8xb32-210e_coco-256x256.py',
            1,
            'stock',
        ),
    ],
    ids=['cpm', 'hourglass'],
)
def test_cpm_head_becomes_the_multi_stage_h3r_head(config, num_stages, final_layer, tmp_path):
    cfg = convert(f'mmpose::{config}', tmp_path)
    head = cfg.model.head
    assert (head.type, head.num_stages) == ('H3RCPMHead', num_stages)
    # CPM's backbone outputs the K maps itself: no final layer, as in the stock head.
    assert head.get('final_layer', 'stock') == final_layer


def test_mspn_head_becomes_the_h3r_mspn_head_with_one_target_level(tmp_path):
    cfg = convert(
        'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_2xmspn50_8xb32-210e_coco-256x192.py',
        tmp_path,
    )
    head = cfg.model.head
    assert (head.type, head.num_stages, head.num_units, head.out_shape) == (
        'H3RMSPNHead',
        2,
        4,
        (64, 48),
    )
    assert 'level_indices' not in head  # every output has the same target
    (target,) = [step for step in cfg.train_pipeline if step['type'] == 'GenerateTarget']
    assert (target['multilevel'], target['encoder']) == (False, cfg.codec)


def test_stride_needs_a_final_layer_after_the_downsampling(tmp_path):
    config = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_cpm_8xb64-210e_coco-256x192.py'
    with pytest.raises(ValueError, match=r'stride 16 .* CPMHead has none \(final_layer=None\)'):
        convert_config(config, str(tmp_path / 'out.py'), stride=16)


def test_udp_combined_head_predicts_one_map_per_keypoint(tmp_path):
    cfg = convert(
        'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_udp-regress-8xb64-210e_coco-256x192.py',
        tmp_path,
    )
    assert cfg.model.head.out_channels == 17  # the stock head has 3 x 17 (heatmap + offsets)
    assert cfg.model.test_cfg.flip_mode == 'heatmap'  # not 'udp_combined'


def test_visibility_head_keeps_its_branch_around_the_h3r_head(tmp_path):
    cfg = convert(
        'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm-vis_res50_8xb64-210e_coco-aic-256x192-merge.py',
        tmp_path,
    )
    assert cfg.model.head.type == 'VisPredictHead'
    assert 'loss' in cfg.model.head  # the visibility loss stays
    assert pose_head(cfg.model).type == 'H3RHead'
    assert pose_head(cfg.model).decoder == cfg.codec


@pytest.mark.parametrize(
    'backbone, deconvs, groups',
    [
        # The stock ResNet config leaves ViPNASHead's defaults implicit: written out.
        ('res50', (144, 144, 144), (16, 16, 16)),
        # The MobileNetV3 config sets its own (depthwise) groups: kept.
        ('mbv3', (160, 160, 160), (160, 160, 160)),
    ],
)
def test_vipnas_head_becomes_the_grouped_h3r_head(backbone, deconvs, groups, tmp_path):
    cfg = convert(
        'mmpose::wholebody_2d_keypoint/topdown_heatmap/coco-wholebody/'
        f'td-hm_vipnas-{backbone}_8xb64-210e_coco-wholebody-256x192.py',
        tmp_path,
    )
    head = cfg.model.head
    assert head.type == 'H3RViPNASHead'
    assert (head.deconv_out_channels, head.deconv_num_groups) == (deconvs, groups)
    assert head.deconv_kernel_sizes == (4, 4, 4)


def test_a_users_config_is_inherited_by_relative_path(tmp_path):
    user = tmp_path / 'user' / 'my_coco.py'
    user.parent.mkdir()
    user.write_text(
        f"_base_ = ['{COCO_RES50}']\n"
        'model = dict(head=dict(out_channels=5, deconv_out_channels=(64, 64, 64)))\n'
    )
    out_file = tmp_path / 'h3r' / 'my_coco_h3r.py'
    write_converted_config(str(user), str(out_file), stride=16)
    assert "_base_ = ['../user/my_coco.py']" in out_file.read_text()
    cfg = Config.fromfile(str(out_file))
    head = cfg.model.head
    assert (head.type, head.out_channels, head.deconv_out_channels) == ('H3RHead', 5, (64, 64, 64))
    assert head.num_downsample_layers == 2
    assert tuple(cfg.codec.heatmap_size) == (12, 16)


def test_tool_writes_the_config_and_refuses_with_status_2(tmp_path, capsys):
    tool = load_tool('convert_config')
    out_file = tmp_path / 'out.py'
    assert tool.main([COCO_HRNET, '--stride', '16', '--out', str(out_file)]) == 0
    assert 'H3RHead' in capsys.readouterr().out
    assert Config.fromfile(str(out_file)).codec.heatmap_size == (12, 16)

    simcc = 'mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py'
    assert tool.main([simcc, '--out', str(tmp_path / 'simcc.py')]) == 2
    # The last line: importing a config's modules may warn first (pkg_resources).
    last_line = capsys.readouterr().err.strip().splitlines()[-1]
    assert last_line == f'not converted: {refusal_message("SimCCHead")}'
    assert tool.main([COCO_HRNET, '--decoder', 'topk', '--topk', '0', '--out', 'k.py']) == 2
    assert 'topk must be an integer' in capsys.readouterr().err


def test_tool_offers_the_decoders_and_their_arguments_of_the_table(tmp_path):
    tool = load_tool('convert_config')
    args = tool.parse_args([COCO_HRNET, '--out', 'x.py'])
    assert tool.converter_options(args) == dict.fromkeys(
        ('stride', 'target_type', 'decoder', *decoder_argument_names())
    )
    for decoder, entry in DECODERS.items():
        values = [f'--{argument.name}={argument.default}' for argument in entry.arguments]
        args = tool.parse_args([COCO_HRNET, '--decoder', decoder, *values, '--out', 'x.py'])
        options = tool.converter_options(args)
        assert options['decoder'] == decoder
        for argument in entry.arguments:
            assert options[argument.name] == argument.default
            assert type(options[argument.name]) is argument.parse
    with pytest.raises(SystemExit):  # argparse: not one of the table's choices
        tool.parse_args([COCO_HRNET, '--decoder', 'argmax', '--out', 'x.py'])
