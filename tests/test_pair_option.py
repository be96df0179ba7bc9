"""--pair means one thing in every command that takes it: a model pair, a registered name or MODULE:ATTR
(tfpt.pair.PAIR_MEANS). Each command's --help and the plugin's option say those words; a name and MODULE:ATTR
select the same pair, pytest's --pair included; an unknown name is refused with the names there are."""
import contextlib
import importlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from tfpt.pair import PAIR_MEANS, PairError, find
from tfpt.procs import child_env

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", ["compare", "convert", "backends"])
def test_every_commands_help_says_what_pair_means(command):
    module = importlib.import_module(f"tfpt.cli.{command}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        (module.parse_args if command == "compare" else module.main)(["--help"])
    assert PAIR_MEANS in " ".join(out.getvalue().split())


def test_the_plugins_option_says_it_too():
    from tests import readme_tables
    assert PAIR_MEANS in readme_tables.options()


def test_a_name_and_module_attr_select_the_same_pair():
    import models.pairs
    from models import zoo
    assert find("bn-cnn") is find("models.pairs:BN_CNN") is models.pairs.BN_CNN
    assert find("resnet50") is zoo.RESNET50  # held by models/zoo.py, not registered: found by its name as well


def test_an_unknown_name_is_refused_with_the_names_there_are():
    with pytest.raises(PairError, match=r"^--pair resnet: a registered name \(.*resnet50.*spec.*\) or MODULE:ATTR"):
        find("resnet")


@pytest.mark.cli  # a pytest session in a subprocess
def test_pytest_takes_a_registered_name():
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "--pair", "mlp-ln", "-k", "layers_correspond"], cwd=ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "test_layers_correspond[mlp-ln]" in proc.stdout and "[spec]" not in proc.stdout, proc.stdout[-2000:]
