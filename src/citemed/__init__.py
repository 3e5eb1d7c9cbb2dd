"""CiteMed: an open, self-hosted medical evidence answer engine."""

__version__ = "0.1.0"
