from .leaderboard_hook import LeaderboardHook

__all__ = ['LeaderboardHook']
