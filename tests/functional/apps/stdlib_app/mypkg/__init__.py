from .values import VALUE

__all__ = ["VALUE"]
