"""kubernetes-asyncio without its generated code: Configuration, ApiClient and the kubeconfig loaders.

Why this module exists: `import kubernetes_asyncio.<anything>` runs the package's `__init__`, which
imports `kubernetes_asyncio.client`, whose `__init__` imports every generated API class (~70) and
model class (~800); `client/api_client.py` imports `client.models` as well. That is ~34 MiB of RSS,
a third of the controller's, for code latticegw never runs: it speaks raw JSON
(controller/kube/client.py) and uses only `client.configuration`, `client.api_client`,
`client.rest`, `client.exceptions` and the loaders in `kubernetes_asyncio.config` (kubeconfig with
exec plugins, token files, client certificates; in-cluster service account with token refresh).
None of those needs the generated modules.

How: before the first import of kubernetes-asyncio, the two packages whose `__init__` pulls the
generated code in (`kubernetes_asyncio.client`, `kubernetes_asyncio.client.models`) are registered
in `sys.modules` with their real `__path__` and `__spec__` but without running their `__init__`, so
their submodules import as usual; `client` gets the names that `config/` takes from it. A submodule
asked for as a name (`from kubernetes_asyncio.client import rest`) is imported as such; any other
name (`client.CoreV1Api`, `client.V1Pod`, `models.V1Pod`, `from ... import *`) runs the real
`__init__` on first use, so code that wants the whole library still gets it, and pays for it then.
The top-level package's own `__init__` (config, dynamic, stream, utils, watch) is light once
`client` is lean, and runs as usual. Nothing is patched or copied: every class is the library's own.
If kubernetes-asyncio is already imported when this module loads, nothing changes.

In controller/, import kubernetes-asyncio only through this module.
tests/unit/controller/test_import_weight.py fails when the running controller loads the generated
modules again.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

# The packages whose __init__ imports the generated APIs and models, parents first.
LEAN_PACKAGES = ("kubernetes_asyncio.client", "kubernetes_asyncio.client.models")


def _complete(module: types.ModuleType) -> None:
    """Run the package's real __init__ in its module (once)."""
    module.__dict__.pop("__getattr__", None)
    spec = module.__spec__
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(module)


def _package(name: str, lean: bool) -> types.ModuleType:
    """The package `name` in sys.modules with its __init__ not run; if `lean`, run on demand."""
    spec = importlib.util.find_spec(name)  # its parent is already in sys.modules: runs nothing
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not a package")
    module = importlib.util.module_from_spec(spec)  # __path__, __spec__, __file__; __init__ not run

    def __getattr__(attr: str) -> object:
        if importlib.util.find_spec(f"{name}.{attr}") is not None:  # a submodule
            return importlib.import_module(f"{name}.{attr}")
        _complete(module)
        try:
            return module.__dict__[attr]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    if lean:
        module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def _install() -> None:
    if "kubernetes_asyncio" in sys.modules:
        return
    top = _package("kubernetes_asyncio", lean=False)
    try:
        for name in LEAN_PACKAGES:
            _package(name, lean=True)
        configuration = importlib.import_module("kubernetes_asyncio.client.configuration")
        api_client = importlib.import_module("kubernetes_asyncio.client.api_client")
        exceptions = importlib.import_module("kubernetes_asyncio.client.exceptions")
        # What kubernetes_asyncio.config imports from `kubernetes_asyncio.client`.
        client = sys.modules["kubernetes_asyncio.client"]
        client.Configuration = configuration.Configuration  # type: ignore[attr-defined]
        client.ApiClient = api_client.ApiClient  # type: ignore[attr-defined]
        client.ApiException = exceptions.ApiException  # type: ignore[attr-defined]
        _complete(top)
    except BaseException:
        for name in [m for m in sys.modules if m == "kubernetes_asyncio" or m.startswith("kubernetes_asyncio.")]:
            del sys.modules[name]
        raise


_install()

from kubernetes_asyncio import config  # noqa: E402
from kubernetes_asyncio.client.api_client import ApiClient  # noqa: E402
from kubernetes_asyncio.client.configuration import Configuration  # noqa: E402

__all__ = ["ApiClient", "Configuration", "config"]
