"""The leaderboard row format: naming runs and codecs, and reading rows back."""

import pytest

from h3r_mmpose.engine.hooks.leaderboard_row import config_name, describe_codec, parse_rows


def test_runs_are_named_by_config_and_codecs_by_their_settings():
    assert config_name('/a/b/td-hm_wflw.py', 'exp') == 'td-hm_wflw'
    assert config_name(None, 'exp') == 'exp'
    assert describe_codec(None) is None
    assert (
        describe_codec(dict(type='UDPHeatmap', input_size=(1, 1), sigma=2.0, blur_kernel_size=11))
        == 'UDPHeatmap(blur_kernel_size=11, sigma=2.0)'
    )


def test_parse_rows_skips_blank_lines_and_rejects_bad_ones():
    assert parse_rows(['{"a": 1}', '', '  \n', '{"b": 2}\n']) == [{'a': 1}, {'b': 2}]
    with pytest.raises(ValueError, match='line 2'):
        parse_rows(['{"a": 1}', '{oops'])
    with pytest.raises(ValueError, match='line 1 must be a JSON object'):
        parse_rows(['[1, 2]'])
