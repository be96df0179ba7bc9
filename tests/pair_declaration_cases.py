"""The bad-input table for pair declarations (tests/test_bad_pair_declarations.py): one row per mistake a user
makes declaring a `ModelPair` or `InputSpec`, each the keyword arguments that make it, and a regex the one-line
PairError must match (it names the setting, what was expected and the fix). These are library calls: they run in
the test's process (building a declaration imports no framework), so the rows cost microseconds."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tfpt.pair import InputSpec, ModelPair
from tfpt.tolerances import Tol


@dataclass
class Row:
    id: str
    kind: type  # InputSpec or ModelPair
    kwargs: dict = field(default_factory=dict)
    message: str = ""  # regex, searched in the PairError's message


def builder():
    return None  # never called: the declaration is refused first


GOOD_SPEC = dict(shape=(28, 28, 1))
GOOD_PAIR = dict(name="p", keras=builder, torch=builder, input=InputSpec(shape=(4,)))


def spec(row_id: str, message: str, **kwargs) -> Row:
    return Row(f"inputspec-{row_id}", InputSpec, {**GOOD_SPEC, **kwargs}, message)


def pair(row_id: str, message: str, **kwargs) -> Row:
    return Row(f"modelpair-{row_id}", ModelPair, {**GOOD_PAIR, **kwargs}, message)


SHAPE = r"InputSpec shape=.*: expected a non-empty tuple of positive whole numbers .*; fix: e\.g\. shape="
ROWS = [
    spec("shape-an-int", SHAPE + r"\(784,\)", shape=784),
    spec("shape-zero-dim", SHAPE, shape=(28, 0, 1)),
    spec("shape-negative-dim", SHAPE, shape=(-1, 28)),
    spec("shape-empty", SHAPE, shape=()),
    spec("shape-float-dim", SHAPE, shape=(28.0, 28)),
    spec("shape-none-dim", SHAPE, shape=(None, 28)),
    spec("shape-a-string", SHAPE, shape="28x28"),
    spec("shape-bool-dim", SHAPE, shape=(True, 3)),
    spec("shape-none", SHAPE, shape=None),
    spec("shape-nested", SHAPE, shape=((28, 28), 1)),
    spec("dtype-float33",
         r"InputSpec dtype='float33': expected a numeric NumPy dtype name; fix: e\.g\. dtype='float32'",
         dtype="float33"),
    spec("dtype-none", r"InputSpec dtype=None: expected a numeric NumPy dtype", dtype=None),
    spec("dtype-string-kind", r"InputSpec dtype='str': expected a numeric", dtype="str"),
    spec("dtype-object", r"InputSpec dtype='object': expected a numeric", dtype="object"),
    spec("dtype-an-int", r"InputSpec dtype=32: expected a numeric", dtype=32),
    spec("layout-with-a-dash", r"InputSpec torch_layout='channels-first': expected one of channels_first, same",
         torch_layout="channels-first"),
    spec("layout-nchw", r"InputSpec torch_layout='NCHW': expected one of channels_first, same", torch_layout="NCHW"),
    spec("layout-none", r"InputSpec torch_layout=None: expected one of", torch_layout=None),
    spec("low-above-high", r"InputSpec low=1\.0, high=0\.0: expected finite numbers with low < high",
         low=1.0, high=0.0),
    spec("low-equals-high", r"InputSpec low=0\.5, high=0\.5: expected finite numbers with low < high",
         low=0.5, high=0.5),
    spec("high-nan", r"InputSpec low=0\.0, high=nan: expected finite numbers", high=float("nan")),
    spec("high-inf", r"InputSpec low=0\.0, high=inf: expected finite numbers", high=float("inf")),
    spec("low-a-string", r"InputSpec low='0', high=1\.0: expected finite numbers", low="0"),
    spec("int-dtype-no-whole-number", r"InputSpec low=0\.2, high=0\.9: an integer dtype needs at least one whole",
         dtype="int64", low=0.2, high=0.9),
    spec("sample-not-callable", r"InputSpec sample=<ndarray>: expected a function \(n, seed\) -> n samples",
         sample=np.zeros((2, 28, 28, 1))),
    pair("name-empty", r"pair name '': expected letters, digits", name=""),
    pair("name-with-space", r"pair name 'my pair': expected letters, digits", name="my pair"),
    pair("head-probabilities", r"pair p: keras_head must be 'logits' or 'softmax', got 'probabilities'",
         keras_head="probabilities"),
    pair("torch-head-none", r"pair p: torch_head must be 'logits' or 'softmax', got None", torch_head=None),
    pair("keras-a-model-not-a-builder", r"pair p: keras='a model': expected a builder \(a function taking no "
         r"arguments that returns the keras model\)", keras="a model"),
    pair("torch-none", r"pair p: torch=None: expected a builder", torch=None),
    pair("side-unknown", r"pair p: side 'jax': expected one of keras, torch, flax; fix: name each side by its "
         r"framework", keras={"keras": builder, "torch": builder, "jax": builder}, torch=None),
    pair("side-no-keras-reference", r"pair p: no 'keras' side: Keras is the reference every other side is checked "
         r"against; fix: add 'keras'", keras={"torch": builder, "flax": builder}, torch=None),
    pair("side-keras-none", r"pair p: no 'keras' side", keras={"keras": None, "torch": builder}, torch=None),
    pair("side-no-torch", r"pair p: no 'torch' side: the generic checks compare PyTorch's model with Keras'",
         keras={"keras": builder, "flax": builder}, torch=None),
    pair("side-flax-a-lambda", r"pair p: flax=<function .*>: expected a module-level function \(or 'MODULE:ATTR'\) "
         r"the flax worker process can import; fix: define the builder at module level",
         keras={"keras": builder, "torch": builder, "flax": lambda: None}, torch=None),
    pair("side-flax-a-ref-without-colon", r"pair p: flax='models\.pairs': expected a module-level function",
         keras={"keras": builder, "torch": builder, "flax": "models.pairs"}, torch=None),
    pair("sides-dict-and-torch", r"pair p: sides given as a dict and torch=<function builder .*> as well; expected "
         r"the dict of sides, then the input", keras={"keras": builder, "torch": builder}),
    pair("input-a-tuple", r"pair p: input=\(28, 28, 1\): expected a tfpt\.InputSpec.*; fix: e\.g\. input=InputSpec",
         input=(28, 28, 1)),
    pair("input-a-dict", r"pair p: input=\{.*\}: expected a tfpt\.InputSpec", input={"shape": (28, 28, 1)}),
    pair("num-classes-zero", r"pair p: num_classes=0: expected a whole number >= 1", num_classes=0),
    pair("num-classes-float", r"pair p: num_classes=10\.0: expected a whole number >= 1", num_classes=10.0),
    pair("layer-map-a-list", r"pair p: layer_map=\[.*\]: expected a dict of Keras layer name -> PyTorch module name",
         layer_map=[("dense", "fc")]),
    pair("layer-map-int-value", r"pair p: layer_map=\{'dense': 1\}: expected a dict", layer_map={"dense": 1}),
    pair("formats-unknown", r"pair p: formats: expected names from savedmodel, .*, got 'onnx'; fix:",
         formats=("onnx",)),
    pair("formats-a-string", r"pair p: formats='keras': expected a tuple of format names, \(\) for none .*"
         r"fix: e\.g\. formats=\('keras',\)", formats="keras"),
    pair("formats-one-known-one-typo", r"got 'torchscrpt'", formats=("keras", "torchscrpt")),
    pair("formats-a-set-of-names", r"pair p: formats=\{'keras'\}: expected a tuple", formats={"keras"}),
]
ROWS += [
    pair("name-none", r"pair name None: expected letters, digits", name=None),
    pair("name-an-int", r"pair name 7: expected letters, digits", name=7),
]
ROWS += [  # strings NumPy's dtype parser raises ValueError or SyntaxError on (found by the property sweep)
    spec("dtype-a-struct-spec", r"InputSpec dtype='0:': expected a numeric NumPy dtype", dtype="0:"),
    spec("dtype-leading-zero", r"InputSpec dtype='01': expected a numeric NumPy dtype", dtype="01"),
]
ROWS += [  # tolerance overrides the checks could never pass, or whose reason is no text
    pair("tolerance-quantile-two", r"pair p: tolerances\['forward'\] quantile=2: expected the fraction of elements "
         r"that must pass, in \(0, 1\]; fix:", tolerances={"forward": {"quantile": 2}}),
    pair("tolerance-quantile-zero", r"tolerances\['forward'\] quantile=0: expected the fraction",
         tolerances={"forward": {"quantile": 0}}),
    pair("tolerance-tol-quantile-above-one", r"tolerances\['gradient'\] quantile=1\.5: expected the fraction",
         tolerances={"gradient": Tol(atol=0.0, rtol=1e-5, quantile=1.5)}),
    pair("tolerance-why-a-number", r"pair p: tolerances\['forward'\]=\{'why': 3\}: expected .*why a string\); fix:",
         tolerances={"forward": {"why": 3}}),
    pair("tolerance-why-none", r"tolerances\['forward'\]=\{'atol': 1e-05, 'why': None\}: expected",
         tolerances={"forward": {"atol": 1e-5, "why": None}}),
]
