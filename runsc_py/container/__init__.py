"""The OCI container lifecycle: config.json (spec), state under --root (state), the
sandbox process (sandbox), cgroups and hooks. The CLI commands in runsc_py/cli/ use it."""
