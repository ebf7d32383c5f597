"""The figures every benchmark measured, as one table.

A benchmark run with --results FILE also appends each figure it prints to FILE, a JSON line
each; `python bench/results.py FILE` prints them all, in the order measured, with the target
where an issue set one.

    python bench/results.py bench/out/results.jsonl
"""

import json
from pathlib import Path

import click


def record(path: str | None, benchmark: str, figure: str, value: str, target: str = "") -> None:
    """Append a figure to the results file, if one was given."""
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"benchmark": benchmark, "figure": figure, "value": value, "target": target}) + "\n")


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def main(path):
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    widths = {key: max(len(key), *(len(row[key]) for row in rows)) for key in ("benchmark", "figure", "value", "target")}
    print("  ".join(key.ljust(width) for key, width in widths.items()))
    print("  ".join("-" * width for width in widths.values()))
    for row in rows:
        print("  ".join(row[key].ljust(width) for key, width in widths.items()))


if __name__ == "__main__":
    main()
