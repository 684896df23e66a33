.PHONY: install demo test check bench

install:
	python3 -m pip install -e ".[dev]"

demo:
	traitors run --scenario paper --seed 7

test:
	python3 -m pytest -q

check:
	ruff check .
	ruff format --check traitors agents

bench:
	python3 benchmarks/run_all.py
