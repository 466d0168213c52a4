"""The corpus runner's modules (corpus/run.py puts corpus/ on sys.path)."""
