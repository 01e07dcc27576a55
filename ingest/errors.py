"""Errors a user can cause. Each carries one line that names the file and the column or key."""


class InputError(Exception):
    """Bad input for the whole run: exit code 2, nothing written."""


class StrictModeError(InputError):
    """--strict and at least one row was rejected or warned about."""


class WarehouseInUse(RuntimeError):
    """Another process has the warehouse open for writing (a billing run): exit 1."""
