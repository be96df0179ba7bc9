"""The study's CNN described once, as data (spec), and the exact weight layouts of its two models (layouts)."""
