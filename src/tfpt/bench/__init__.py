"""Benchmarks measured process by process: fresh pytest-benchmark processes and the merged run they make, what
they time (framework-neutral: batches, FLOP counts, the machine's yardstick; the bodies are each framework folder's
`bench` module) and the CUDA comparison."""
