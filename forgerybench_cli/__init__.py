"""``forgerybench``: the command line for teams (no Django: typer, rich, requests, docker)."""

__version__ = "0.1.0"
