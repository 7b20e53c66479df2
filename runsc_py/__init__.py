"""runsc_py: the command-line front end of the sandbox (an OCI runtime in the spirit of runsc).

The Sentry (the user-space kernel) lives in the `sentry` package; this package only parses
the command line, sets up logging and calls into the Sentry. It imports `sentry` lazily so
that `runsc_py --help` stays fast.
"""

__version__ = "0.1.0"
