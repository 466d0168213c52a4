"""tqdm: progress bars to a stream, its contrib modules."""

import io

from tqdm import tqdm
from tqdm.contrib import tenumerate

buf = io.StringIO()
total = sum(x for x in tqdm(range(100), file=buf, mininterval=0))
print(total, "100/100" in buf.getvalue())
print([i for i, _ in tenumerate("abc", file=io.StringIO())])
