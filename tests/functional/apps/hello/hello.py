import sys

if len(sys.argv) > 1 and sys.argv[1] == "exit3":
    sys.exit(3)
if len(sys.argv) > 1 and sys.argv[1] == "raise":
    raise ValueError("boom")
print("hello", sys.argv[1:], getattr(sys, "frozen", False))
