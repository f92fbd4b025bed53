"""One module per Lattice resource family; importing them registers their handlers."""

from . import (  # noqa: F401 - imported for their @op registrations
    access_logs,
    associations,
    listeners,
    policies,
    rules,
    service_networks,
    services,
    tagging,
    target_groups,
    targets,
)
