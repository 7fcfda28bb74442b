"""`.venv/bin/python -m bench.load`: the load bench alone (see bench/load/__init__.py)."""

from bench.load import main

main()
