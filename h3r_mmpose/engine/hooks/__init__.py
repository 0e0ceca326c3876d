from .leaderboard_hook import LeaderboardHook
from .target_sigma_annealing_hook import TargetSigmaAnnealingHook

__all__ = ['LeaderboardHook', 'TargetSigmaAnnealingHook']
