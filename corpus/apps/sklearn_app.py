"""scikit-learn: Cython extensions, SciPy underneath, estimators and bundled datasets (CSV data)."""

from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

X, y = load_iris(return_X_y=True)
print(X.shape)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0)
for model in (
    LogisticRegression(max_iter=500),
    KNeighborsClassifier(3),
    RandomForestClassifier(n_estimators=10, random_state=0),
):
    print(type(model).__name__, round(model.fit(Xtr, ytr).score(Xte, yte), 3))
print(sorted(KMeans(n_clusters=3, n_init=3, random_state=0).fit(X).labels_[:5].tolist()))
