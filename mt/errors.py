"""Errors a user can act on. Only `mt.cli` turns them into messages and exit codes."""


class MtError(Exception):
    """A mistake or missing resource the user can fix; the message says what to do next."""


class ConfigError(MtError):
    """A configuration file is missing, malformed or holds a bad value."""


class InputError(MtError):
    """An input file or folder cannot be read as text to translate."""


class ModelUnavailable(MtError):
    """The model is neither in the local cache nor reachable on the hub."""
