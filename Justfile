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

# Build the sample and serve it with Datasette
serve: build
    {{bin}}/datasette serve -i form4.db -m metadata.yml --plugins-dir plugins

# Run the whole test suite
test: install
    {{bin}}/pytest

# Build benchmark: the corpus replicated to 5,000 and 20,000 filings
bench: install
    {{bin}}/python bench/bench_build.py --files 5000 --files 20000 --runs 3

# Remove built databases
clean:
    rm -f form4.db form4.db-wal form4.db-shm
