"""The commands: parse and validate every argument first, then call the library (compare, seeds, tune, overhead;
the exit-code table)."""
