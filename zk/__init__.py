"""zk: the zero-knowledge layer (BLS12-381, BBS credentials, ballots); a pure library: no I/O, no govgraph."""
