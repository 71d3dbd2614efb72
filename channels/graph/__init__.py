"""The dealer relationship graph (issue 14): outlets tied by parent–secondary links and
overlapping trade areas, their clusters and centrality (networkx), and a graph-based risk
signal of a D rating next month, judged on a time-based hold-out against the same model
without the graph. The maths is numpy and scipy over arrays; the services feed it from the tables."""
