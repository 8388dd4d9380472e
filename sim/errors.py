"""The one exception type for bad input."""


class InputError(ValueError):
    """Bad input from a user: a scenario file, a parameter, an option, a data file.

    The message is one line naming the file, the key and the allowed values;
    the CLI prints it on stderr and exits with status 2.
    """
