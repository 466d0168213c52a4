"""The bench harness behind bench/run.py."""
