"""Convert MMPose top-down heatmap configs to H3R (``tools/convert_config.py``).

Not imported by ``h3r_mmpose`` itself: configs need only the registered modules.
"""

from .config_converter import (
    ConversionRefused,
    convert_config,
    refusal_message,
    write_converted_config,
)

__all__ = ['ConversionRefused', 'convert_config', 'refusal_message', 'write_converted_config']
