# Everyday commands. `pip install rust-just` gives you `just`.

venv := ".venv"
bin := venv / "bin"

# Install into .venv (with the test tools)
install:
    test -d {{venv}} || python3 -m venv {{venv}}
    {{bin}}/pip install -q -e '.[test]'

# Build the database from filings (default: the bundled sample)
build *paths="data/sample": install
    {{bin}}/form4db build {{paths}} --db form4.db

# Build the sample and serve it with Datasette, immutable as in public (this folder is the configuration directory)
serve: build
    {{bin}}/datasette inspect form4.db --inspect-file inspect-data.json
    {{bin}}/datasette serve .

# Serve for the public: immutable with precomputed counts, CORS on
serve-public:
    {{bin}}/datasette inspect form4.db --inspect-file inspect-data.json
    {{bin}}/datasette serve . --host 0.0.0.0 --port 8001 --cors

# A release folder from the built database (docs/deploy.md): just publish release
publish out="release": install
    {{bin}}/form4db publish form4.db --out {{out}}

# Run the whole test suite
test: install
    {{bin}}/pytest

# Every benchmark, then one table of all their figures: the build (the corpus replicated to
# 5,000 and 20,000 filings, and 200,000 synthetic filings), the data-set import (the slice
# replicated to 25,000 and 100,000), and at scale every screen's latency, a day's update and the
# site under load. The scale part reuses bench/out/synthetic.db and bench/out/day when there,
# else makes them first (1,000,000 filings: about an hour).
bench filings="1000000": install
    mkdir -p bench/out && rm -f bench/out/results.jsonl
    {{bin}}/python bench/bench_build.py --files 5000 --files 20000 --runs 3 --jobs 0 --jobs 1 --jobs 2 --generated 200000 --results bench/out/results.jsonl
    {{bin}}/python bench/bench_datasets.py --filings 25000 --filings 100000 --runs 3 --jobs 0 --jobs 2 --results bench/out/results.jsonl
    test -f bench/out/synthetic.db || {{just_executable()}} scale-db {{filings}}
    {{bin}}/python bench/bench_queries.py bench/out/synthetic.db --runs 20 --results bench/out/results.jsonl
    {{bin}}/python bench/bench_update.py bench/out/synthetic.db bench/out/day --results bench/out/results.jsonl
    {{bin}}/python bench/bench_load.py bench/out/synthetic.db --workers 1 --results bench/out/results.jsonl
    {{bin}}/python bench/bench_load.py bench/out/synthetic.db --workers 2 --results bench/out/results.jsonl
    {{bin}}/python bench/results.py bench/out/results.jsonl

# Synthetic filings at scale, as full submissions (with filing dates): FILINGS of them built into
# bench/out/synthetic.db, and a day of 2,000 more by the same issuers and insiders in bench/out/day
scale-db filings="1000000": install
    rm -rf bench/out/synthetic bench/out/day bench/out/synthetic.db
    {{bin}}/python bench/generate.py bench/out/synthetic --filings {{filings}} --full-submissions
    {{bin}}/python bench/generate.py bench/out/day --filings 2000 --population-of {{filings}} --on 2026-01-02 --full-submissions
    {{bin}}/form4db build bench/out/synthetic --db bench/out/synthetic.db --jobs 2

# Latency of every screen through Datasette's HTTP on a built database: just bench-queries form4.db
bench-queries db="form4.db": install
    {{bin}}/python bench/bench_queries.py {{db}} --runs 20

# Load test: 50 clients for 60 s against Datasette serving a built database, as one process and
# as two uvicorn workers: just bench-load form4.db
bench-load db="form4.db": install
    {{bin}}/python bench/bench_load.py {{db}} --clients 50 --seconds 60 --workers 1
    {{bin}}/python bench/bench_load.py {{db}} --clients 50 --seconds 60 --workers 2

# Remove built databases
clean:
    rm -f form4.db form4.db-wal form4.db-shm inspect-data.json
