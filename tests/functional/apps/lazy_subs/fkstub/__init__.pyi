from . import gamma
from .delta import twice

__all__ = ["gamma", "twice"]
