"""The benchmark suite `make bench` runs (see benchmarks/README.md)."""

from __future__ import annotations


def main() -> None:
    print("no benchmarks yet")


if __name__ == "__main__":
    main()
