#!/usr/bin/env python3
"""Django's command-line utility for ForgeryBench."""

import os
import sys
from pathlib import Path

# The site's packages live in platform/, a source folder that is deliberately not a package
# (a package named `platform` would shadow the standard library module of that name).
sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forgerybench_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
