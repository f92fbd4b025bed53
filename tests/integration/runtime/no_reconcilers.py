"""`--reconcilers` module that registers nothing: every kind gets the logging no-op reconciler.

The runtime tests use it so they exercise the runtime alone, whatever the real
reconcilers in `controller.reconcilers` do.
"""


def register(registry, runtime) -> None:
    pass
