"""pandas: Cython extensions under pandas._libs, their internal imports, groupby and time zones."""

import numpy as np
import pandas as pd

df = pd.DataFrame({"k": ["a", "b", "a", "c"], "v": [1.5, 2.0, 3.5, 4.0]})
print(df.groupby("k")["v"].sum().to_dict())
idx = pd.date_range("2024-03-30", periods=3, freq="D", tz="Europe/Paris")
print([str(t) for t in idx.tz_convert("UTC")])
print(pd.to_datetime(["2024-01-02", "2024-02-03"]).strftime("%d/%m").tolist())
s = pd.Series(np.arange(6)).rolling(3).mean()
print(s.tolist())
print(pd.read_csv(__import__("io").StringIO("a,b\n1,2\n3,4")).sum().to_dict())
print(df.to_json(orient="records"))
