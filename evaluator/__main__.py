"""``python -m evaluator`` entry point."""

from evaluator.cli import main

raise SystemExit(main())
