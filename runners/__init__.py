"""Training loops per framework, the per-framework worker process, and the comparison command."""
