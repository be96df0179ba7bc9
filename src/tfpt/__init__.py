"""tfpt: check that a model kept in both Keras and PyTorch is the same model — same layers, same weights, same
outputs layer by layer, same gradients and steps, exports that reload — and measure what each framework costs.

    from tfpt import ModelPair, InputSpec, register
"""
from tfpt.checks.differences import differences
from tfpt.pair import InputSpec, ModelPair, PairError, register, registered

__all__ = ["InputSpec", "ModelPair", "PairError", "differences", "register", "registered"]
