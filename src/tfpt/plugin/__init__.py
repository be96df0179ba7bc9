"""What the pytest plugin (tfpt.pytest_plugin: hooks and options only) delegates to, as pytest-benchmark splits
its plugin: `session` (one run's figures, tolerance figures, the xdist merge and the tolerance gate), `compat`
(work-arounds for other packages' internals, each behind a version guard), `markers` (the marker table and every
skip it implies), `pairs` (`--pair` and the generic checks' parametrization) and `env` (the plugin's
environment variables, parsed with named errors)."""
