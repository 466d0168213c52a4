"""networkx: lazily imported submodules, backends and algorithms registered through entry points."""

import networkx as nx

g = nx.petersen_graph()
print(g.number_of_nodes(), g.number_of_edges(), nx.diameter(g))
print(nx.shortest_path(nx.path_graph(5), 0, 4))
d = nx.DiGraph([(1, 2), (2, 3), (1, 3)])
print(list(nx.topological_sort(d)), nx.is_directed_acyclic_graph(d))
print(sorted(nx.pagerank(nx.cycle_graph(4)).values())[0].__round__(3))
print(nx.algorithms.community.__name__)
