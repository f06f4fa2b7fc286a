"""Every benchmark in one run, then the performance table: where we started, where we are, the goal.

    .venv/bin/python bench/all.py        # what `make bench` runs; needs RabbitMQ, ~11 minutes

Each script prints its own tables as it goes, and one line per row of the summary, `table: <row>\t<figure>`,
which this collects. Figures swing with the machine's load: the rows are ratios measured within one script's
run where a ratio is the goal.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["credit_payments.py", "customer_archive.py", "customer_search.py", "gateway_overhead.py", "gateway_vs_hive.py",
           "hostile_refusals.py", "capacity.py"]

# (row key, what, the figure when issue 14 was filed, the goal)
ROWS = [
    ("payments", "payment.received published -> exposure stored, vs raw broker publish + consume",
     "200 vs 3,088 /s = 6.5 %", ">= 50 %"),
    ("hive-me", "gateway vs Hive Gateway, `me`, req/s at 1 and 32 clients", "0.60x at 32", ">= 1.0x at 1 and 32"),
    ("hive-list", "gateway vs Hive Gateway, customers across 4 subgraphs, req/s at 1 and 32 clients", "-",
     ">= 1.0x at 1 and 32"),
    ("overhead", "gateway added latency over a direct subgraph call, p50, 1 client", "2.1 ms", "<= 1 ms"),
    ("entities", "`_entities` for 20 customers: credit, complaints", "20 store queries each", "1 each"),
    ("register", "registerCustomer at 16 clients vs the store's own rate for the same transaction",
     "29-42 req/s, commits serialised", ">= 50 %"),
    ("search", "prefix search customers(filter: {text}), p99", "p50 ~330 ms at 2,000 cards (full scan)",
     "p99 <= 50 ms at 100,000"),
]
# A count, not a timing: a test holds it, and it is not measured again here.
KNOWN = {"entities": "1 query per subgraph for 50 customers (tests/e2e/test_entities_in_one_query.py)"}


def main() -> int:
    started, found, failed = time.monotonic(), dict(KNOWN), []
    for script in SCRIPTS:
        print(f"== bench/{script}", flush=True)
        process = subprocess.Popen([sys.executable, str(HERE / script)], stdout=subprocess.PIPE, text=True,
                                   cwd=HERE.parent)
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("table: ") and "\t" in line:
                key, figure = line.removeprefix("table: ").rstrip("\n").split("\t", 1)
                found[key] = figure
        if process.wait() != 0:
            failed.append(script)
    print(f"\n== the performance table (issue 14), measured now in {time.monotonic() - started:.0f} s")
    print("| what | when filed | now | goal |\n|---|---|---|---|")
    for key, what, before, goal in ROWS:
        print(f"| {what} | {before} | {found.get(key, 'not measured')} | {goal} |")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
