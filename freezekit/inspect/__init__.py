"""The inspect side: what a built app holds, read from the app itself.

``inventory`` reads a onedir folder, a onefile executable or a published archive; ``diff``
compares two of them and ``sbom`` lists one as a CycloneDX document; ``report`` is the size
report printed at the end of a build.
"""
