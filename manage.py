#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    # Management commands on a developer's machine need no environment; production sets
    # DEBUG=false (and so SECRET_KEY) explicitly, and the web and worker processes, which do
    # not start through manage.py, default to DEBUG off.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
