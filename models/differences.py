"""Known differences between the Keras and PyTorch models of each pair, each with why it is inert or material.

"inert": cannot change any prediction or trained result; "material": can, and the entry says how. Every entry
names the test that proves its classification (equivalence/test_differences.py checks that each one has one).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    id: str
    pairs: tuple[str, ...]
    keras: str
    torch: str
    effect: str  # "inert" | "material"
    why: str
    layers_only_in_one: frozenset = frozenset()


DIFFERENCES = (
    Difference(
        "extra_relu", ("study",),
        keras="no activation between the second max-pool and Flatten",
        torch="F.relu after the second max-pool",
        effect="inert",
        why="the max-pool's inputs are ReLU outputs (>= 0), so its outputs are >= 0 and a ReLU is the identity on "
            "them: outputs and gradients are bit-identical",
        layers_only_in_one=frozenset({"relu_extra"}),
    ),
    Difference(
        "softmax_head", ("study",),
        keras="Dense(10, activation='softmax') + sparse_categorical_crossentropy on probabilities",
        torch="Linear(64, 10) logits + CrossEntropyLoss (log-softmax inside the loss)",
        effect="inert",
        why="softmax is monotone, so argmax (the prediction) is the same; softmax(torch logits) equals the Keras "
            "output with shared weights; the losses agree except that Keras clips probabilities to [1e-7, 1-1e-7], "
            "which matters only for a loss above -ln(1e-7) = 16.1 (never seen past the first steps)",
    ),
    Difference(
        "flatten_order", ("spec", "study"),
        keras="Flatten in H, W, C order (channels-last tensors)",
        torch="flatten in C, H, W order (channels-first tensors)",
        effect="inert",
        why="a fixed permutation of dense1's input rows: inert for training from scratch (the initial weights' "
            "distribution is permutation-invariant); weight transfer must permute the rows, which models.layouts "
            "does (material only to a converter that forgets it: see the negative control)",
    ),
    Difference(
        "kernel_init", ("spec", "study"),
        keras="glorot_uniform: U(±sqrt(6 / (fan_in + fan_out)))",
        torch="kaiming_uniform(a=sqrt(5)): U(±1 / sqrt(fan_in))",
        effect="material",
        why="different starting weights (conv1 bound 0.0962 vs 0.2): single-run accuracies differ by a seed-like "
            "amount; with copied weights the difference disappears",
    ),
    Difference(
        "bias_init", ("spec", "study"),
        keras="zeros", torch="U(±1 / sqrt(fan_in))",
        effect="material",
        why="as kernel_init: a different starting point, removed by copying weights",
    ),
    Difference(
        "adam_epsilon", ("spec", "study"),
        keras="epsilon 1e-7 added to sqrt(v) before bias correction ('epsilon hat')",
        torch="eps 1e-8 added to sqrt(v_hat) after bias correction",
        effect="material",
        why="the update differs where sqrt(v) is near epsilon (early steps, rarely-used weights): weights drift "
            "apart step by step even from identical starts (measured in the training-step tests)",
    ),
    Difference(
        "shuffle_rng", ("spec", "study"),
        keras="model.fit(shuffle=True) with TensorFlow's RNG",
        torch="DataLoader(shuffle=True) with torch's RNG",
        effect="material",
        why="each framework sees the batches in another order, so single runs differ like two seeds do; "
            "inert in expectation",
    ),
)


def layers_only_in(pair: str) -> set[str]:
    """Layers that exist in one model of `pair` only, as the table explains them."""
    return set().union(*(d.layers_only_in_one for d in DIFFERENCES if pair in d.pairs))


def by_id(ident: str) -> Difference:
    return next(d for d in DIFFERENCES if d.id == ident)
