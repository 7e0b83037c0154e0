"""zk: the zero-knowledge layer (BLS12-381, BBS credentials, ballots). Pure library: no I/O, no govgraph imports."""
