"""freezekit: freeze a Python program into a self-contained folder or executable.

This module stays free of imports: the frozen app bundles ``freezekit.runtime``
and therefore this file too.
"""

__version__ = "0.1.0"
