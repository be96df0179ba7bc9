"""The datasets: MNIST and Fashion-MNIST from verified sources, cached, and a tiny seeded one."""
