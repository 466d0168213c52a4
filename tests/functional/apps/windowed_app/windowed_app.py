import sys

print("to a null stream")
sys.stderr.write("also to a null stream\n")
sys.stderr.flush()
sys.stdout.flush()
with open(sys.argv[1], "w") as out:
    out.write(f"ok {type(sys.stdout).__name__} {sys.stdout is not None}\n")
