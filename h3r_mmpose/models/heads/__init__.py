from .h3r_cpm_head import H3RCPMHead
from .h3r_head import H3RHead
from .h3r_mspn_head import H3RMSPNHead
from .h3r_vipnas_head import H3RViPNASHead

__all__ = ['H3RCPMHead', 'H3RHead', 'H3RMSPNHead', 'H3RViPNASHead']
