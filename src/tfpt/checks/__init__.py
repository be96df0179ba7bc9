"""Framework-neutral checks over a model pair: the machinery the generic tests call (pairs.py), and the study
pair's own spec-driven helpers (pairing.py)."""
