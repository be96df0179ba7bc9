"""Known differences between the Keras and PyTorch models of each pair, each with why it is inert or material.

"inert": cannot change any prediction or trained result; "material": can, and the entry says how. Every entry
names the test that proves its classification (equivalence/test_differences.py checks that each one has one).
`measured` says what the quirk did to trained numbers, where that was measured (else empty: not measured).

Trained numbers of the study as written vs the spec CNN, per framework, from identical weights and the shared order
through each framework's real trainer (tfpt.frameworks.<folder>.train.train, the study's settings), 200 steps of batch
32 on real MNIST (TF 2.21 / Keras 3.15.1, torch 2.14.1, CPU): weights after steps 1, 10, 100 and 200 and every step's
loss are bit-identical in both frameworks (max |Δ| 0.0). So neither of the study's model quirks (extra ReLU,
softmax head) changed its numbers; what separates its two frameworks' results are the init, Adam epsilon and
shuffling rows below.

Over seeds, 5 epochs each (`python -m tfpt.cli.compare --pair spec,study --epochs 5 --repeats 1 --seed S`, seeds
0, 1, 2, native order, same versions): every epoch's test accuracy and training loss of the study's models equals
the spec CNN's in both frameworks (max |Δ| 0 over 3 seeds x 5 epochs x 2 frameworks). Test accuracy after 5 epochs:

    seed            0        1        2        mean (sd)
    Keras         99.03 %  99.03 %  99.01 %  99.02 % (0.01)
    PyTorch       98.92 %  98.96 %  99.18 %  99.02 % (0.14)
    Keras - PyTorch +0.11   +0.07    -0.17    +0.00

The study reported 99.14 % / 98.95 % (a 0.19-point gap): within the seed-to-seed spread measured here (PyTorch's
range over 3 seeds is 0.26 points), so one run of each cannot say a framework trains this CNN better.
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
    measured: str = ""


DIFFERENCES = (
    Difference(
        "extra_relu", ("study",),
        keras="no activation between the second max-pool and Flatten",
        torch="F.relu after the second max-pool",
        effect="inert",
        why="the max-pool's inputs are ReLU outputs (>= 0), so its outputs are >= 0 and a ReLU is the identity on "
            "them: outputs and gradients are bit-identical",
        layers_only_in_one=frozenset({"relu_extra"}),
        measured="StudyNet vs the spec CNN through torch's trainer, same weights and order: weights and losses "
                 "bit-identical over 200 steps (max |Δ| 0.0); 5 epochs, seeds 0-2: every epoch's accuracy and loss "
                 "equal the spec CNN's",
    ),
    Difference(
        "softmax_head", ("study",),
        keras="Dense(10, activation='softmax') + sparse_categorical_crossentropy on probabilities",
        torch="Linear(64, 10) logits + CrossEntropyLoss (log-softmax inside the loss)",
        effect="inert",
        why="softmax is monotone, so argmax (the prediction) is the same; softmax(torch logits) equals the Keras "
            "output with shared weights; and Keras 3's TensorFlow backend computes sparse_categorical_crossentropy "
            "on a softmax activation's output from the logits it keeps (_get_logits), so the documented clip of "
            "probabilities to [1e-7, 1-1e-7] is not applied and the loss is the logits loss",
        measured="the study's Keras model vs the spec CNN through Keras' trainer, same weights and order: weights "
                 "and losses bit-identical over 200 steps (max |Δ| 0.0); the reference's clipped-probability loss "
                 "agrees with the trainer's within 2e-7 over 5 steps; 5 epochs, seeds 0-2: every epoch's accuracy and "
                 "loss equal the spec CNN's",
    ),
    Difference(
        "flatten_order", ("spec", "study"),
        keras="Flatten in H, W, C order (channels-last tensors)",
        torch="flatten in C, H, W order (channels-first tensors)",
        effect="inert",
        why="a fixed permutation of dense1's input rows: inert for training from scratch (the initial weights' "
            "distribution is permutation-invariant); weight transfer must permute the rows, which tfpt.convert.layers "
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
        measured="10 Adam steps from identical weights and batches: max |Δ| weights 6.9e-3 with each framework's "
                 "defaults vs 6.1e-5 with Keras' epsilon placement matched (100 steps: 8.3e-2 vs 3.2e-2)",
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
