"""What the suite knows about one framework, in one record: its identity (id, display name, distributions,
the modules it imports), where its pieces live (pair adapter, trainer, the study's own code, export formats),
which side of a ModelPair it runs (the Keras model or the PyTorch module) and how it is run (in this process,
or in a worker process of its own: a Keras backend is fixed per process).

Nothing here imports a framework: checks, commands and report tables read these records instead of comparing a
framework's name. Adding a framework is one record in a `record.py` of its folder (tfpt.frameworks.<folder>.record,
found by tfpt.frameworks.registry) or in the entry-point group `tfpt.frameworks` of another distribution; the
modules of its folder follow the protocols of tfpt.frameworks.api.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

# The two sides of a ModelPair: the Keras model (channels-last) and the PyTorch module (the pair's torch layout).
KERAS_SIDE, TORCH_SIDE = "keras", "torch"


@dataclass(frozen=True)
class Framework:
    id: str                                # what options, markers and parametrize ids say: "tf", "keras-torch"
    name: str                              # what tables and messages say: "TensorFlow", "Keras on PyTorch"
    side: str                              # KERAS_SIDE or TORCH_SIDE: which model of a ModelPair it runs
    modules: tuple[str, ...]               # the top-level modules it needs importable ("keras", "torch")
    distributions: tuple[str, ...]         # the installed distributions whose versions describe it
    aliases: tuple[str, ...] = ()          # other names users may type ("tensorflow")
    keras_backend: str | None = None       # a Keras backend other than TensorFlow: runs in a worker process
    adapter: str | None = None             # module of the pair adapter (build, trace, weights, steps)
    trainer: str | None = None             # module of the trainer (prepare / epoch / evaluate, one clock)
    cnn: str | None = None                 # module building the study's CNNs (spec and as written) and their taps
    study_code: str | None = None          # module of the study's own code, as written
    formats: tuple[str, ...] = ()          # export formats its models write
    seed_bits: int = 64                    # the widest seed its RNG takes
    hides: tuple[str, ...] = field(default=())  # extra modules hidden with it (torchvision beside torch)
    own_process: bool = False              # a native framework run in worker processes only (Flax: JAX)
    folder: str | None = None              # its package, the same module names in each (tfpt.frameworks.keras)
    short: str = ""                        # what a version label calls it ("TF 2.21.0 / torch 2.14.1"): name if ""
    published: tuple[tuple[str, float], ...] = ()  # the study's published figures: ("acc", 99.14) in %, s, GB
    rank: int = 100                        # its place in the registry's order (outside frameworks keep 100)

    @property
    def label(self) -> str:
        """Its short name ("TF", "torch"), else its name."""
        return self.short or self.name

    def study(self, key: str) -> float | None:
        """One of the study's published figures of it ("acc" %, "epoch_s" s, "ram_gb" GB), None where the study
        did not measure it."""
        return dict(self.published).get(key)

    @property
    def in_process(self) -> bool:
        """False for a Keras backend other than TensorFlow or a framework run in its own process."""
        return self.keras_backend is None and not self.own_process

    @property
    def version_dist(self) -> str:
        """The distribution whose version names this framework in a table ("tensorflow", "torch", "keras")."""
        return self.distributions[0]

    def module(self, role: str):
        """Import one of its modules: role is "adapter", "trainer", "cnn" or "study_code" (imports the
        framework)."""
        path = getattr(self, role)
        if path is None:
            raise ValueError(f"{self.name} has no {role.replace('_', ' ')} in this suite")
        return importlib.import_module(path)

    def part(self, name: str):
        """Import the module `name` of its folder (tfpt.frameworks.<folder>.<name>: every folder uses the same
        names); imports the framework."""
        if self.folder is None:
            raise ValueError(f"{self.name} has no folder of modules in this suite")
        return importlib.import_module(f"{self.folder}.{name}")

    def model(self, pair_models):
        """Its model of a built pair (tfpt.checks.pairs.PairModels)."""
        return pair_models.keras_model if self.side == KERAS_SIDE else pair_models.torch_model

    def head(self, pair) -> str:
        """The head its side of `pair` declares ("logits" or "softmax")."""
        return pair.keras_head if self.side == KERAS_SIDE else pair.torch_head

    def inputs(self, pair, x):
        """A channels-last batch in the layout its side of `pair` takes."""
        return x if self.side == KERAS_SIDE else pair.input.to_torch_layout(x)

    def versions(self, installed: dict[str, str]) -> str:
        """'torch 2.14.1' / 'tensorflow 2.21.0, keras 3.15.1' from a {distribution: version} table."""
        return ", ".join(f"{d} {installed[d]}" for d in self.distributions if d in installed)
