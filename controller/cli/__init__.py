"""The `latticegw` command line: `main` dispatches to one module per subcommand (run, plan, demo,
emulator, version); `manifests` loads the YAML that `plan` and `demo` read."""
