"""Errors a user can act on. The CLI prints their message on one line and exits with `exit_code`."""


class SwingcoachError(Exception):
    exit_code = 1


class InputError(SwingcoachError):
    """The input file is missing, unreadable, not a video, corrupt or truncated."""

    exit_code = 2


class NoPersonError(SwingcoachError):
    exit_code = 3


class NoSwingError(SwingcoachError):
    exit_code = 4
