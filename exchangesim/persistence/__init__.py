"""Persistence: a journal of every change of state, periodic snapshots, and recovery at start.

``commands`` (engine commands as journal records, and the executor that writes them), ``journal`` and
``snapshots`` (the files), ``formats`` (their versions, and reading the one before), ``directory`` (the
folder), ``recovery`` (what to resume from), ``service`` (the Twisted service that ties them together),
``replay`` (``exchangesim replay``: summaries and CSV exports) and ``salvage`` (``exchangesim recover``:
what keeps a folder from starting, and ``--salvage``, the way past it). This package imports nothing
itself, so the API can import ``commands`` (its journal errors) without loading the rest.
"""
