"""Write an H3R config that inherits any MMPose top-down heatmap config.

Converting is two steps: :func:`~.conversion_plan.plan_conversion` decides what changes (a
:class:`~.conversion_plan.ConversionPlan`; its module lists the changes) and
:func:`~.config_writer.write_config` writes the plan as a short, commented child config.
"""

from pathlib import Path

from .config_writer import write_config
from .conversion_plan import plan_conversion


def convert_config(config: str, out_file: str, **options) -> str:
    """The source of an H3R config that inherits ``config``.

    Args:
        config (str): the stock config, ``mmpose::path/to/config.py`` or a file path.
        out_file (str): where the result will be written, as the command records it; a
            ``config`` file outside an installed package is named relative to it.
        **options: ``stride``, ``target_type``, ``decoder`` and the decoder's arguments
            (see :func:`~.conversion_plan.plan_conversion`); None leaves one to its default.

    Returns:
        str: the config's source.

    Raises:
        ConversionRefused: for a config whose head or pipelines cannot be converted.
        ValueError: for a bad ``config``, ``stride`` or codec argument, naming it.
    """
    return write_config(plan_conversion(config, out_file, **options))


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
