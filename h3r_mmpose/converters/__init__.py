"""Convert MMPose top-down heatmap configs to H3R (``tools/convert_config.py``).

Not imported by ``h3r_mmpose`` itself: configs need only the registered modules.
"""

from .config_converter import convert_config, write_converted_config
from .config_writer import recorded_command, write_config
from .conversion_plan import (
    STRIDES,
    ConversionPlan,
    ConversionRefused,
    plan_conversion,
    refusal_message,
)

__all__ = [
    'STRIDES',
    'ConversionPlan',
    'ConversionRefused',
    'convert_config',
    'plan_conversion',
    'recorded_command',
    'refusal_message',
    'write_config',
    'write_converted_config',
]
