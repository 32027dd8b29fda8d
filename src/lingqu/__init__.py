"""Lingqu (灵渠): an open quality-infrastructure platform for a market regulator and its clusters."""

__version__ = "0.1.0"
