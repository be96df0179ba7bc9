"""The study's CNN described once, as data (spec): its layers, shapes and parameter counts; its weights move
between the frameworks through the converters (tfpt.convert)."""
