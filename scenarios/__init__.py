"""Traitors' bundled data, shipped as package data and read through :mod:`importlib.resources`.

- ``*.yaml``: scenarios by name (``paper``, ``classic``, ``quick``), read by
  :func:`traitors.config.load_scenario`;
- ``experiments/*.yaml``: experiments by name (``baselines``, ``paper_replication``), read by
  :func:`traitors.batch.load_experiment`;
- ``data/uk_show/``: the UK show's round-table votes, read by ``traitors import-show uk_show``.

This folder is the source; :func:`traitors.config.bundle_root` finds the installed copy.
"""

#: Marks this package as Traitors' bundle (a user's own module or folder named ``scenarios`` has none).
BUNDLE = "traitors"
