"""Builders the tests share: input folders, networks, a localstripe client, readers of the
marts. Test modules and conftest files import from here, never from one another."""
