"""The generic checks as pytest tests, shipped with the package so `pytest --pair mymodule:my_pair` runs them
anywhere; this repository collects the same tests through equivalence/test_pairs.py."""
