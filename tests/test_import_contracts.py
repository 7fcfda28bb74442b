"""The import-linter contracts (pyproject.toml, run by `make lint` and .ci/run) see every app.

import-linter analyses only its root_packages and quietly passes over an optional layer
"(name)" that is not among them, so an app added to INSTALLED_APPS but not to those lists
would escape the contracts.
"""

import re
import tomllib

from django.conf import settings

CONFIG = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text(encoding="utf-8"))
IMPORTLINTER = CONFIG["tool"]["importlinter"]


def project_packages() -> set[str]:
    """The top-level packages of the project's own apps in INSTALLED_APPS."""
    tops = {app.split(".")[0] for app in settings.INSTALLED_APPS}
    return {top for top in tops if (settings.BASE_DIR / top / "__init__.py").is_file()}


def test_every_app_is_a_root_package_of_import_linter():
    assert project_packages() <= set(IMPORTLINTER["root_packages"])


def test_every_app_is_on_a_floor_of_the_layers_contract():
    (layers,) = [c for c in IMPORTLINTER["contracts"] if c["type"] == "layers"]
    named = {name for layer in layers["layers"] for name in re.findall(r"[\w.]+", layer)}

    assert project_packages() <= named
