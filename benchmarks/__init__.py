"""The benchmark suite `make bench` runs: see benchmarks/README.md.

`run.py` drives it: one subprocess of `worker.py` per workload and framework, whose results
it gathers into a table of ratios. Each `impl_*.py` writes the same workloads in one
framework: numpy by hand (the limit), puregrad, and the peers where they are installed.
"""
