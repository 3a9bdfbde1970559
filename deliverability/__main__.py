"""`python -m deliverability` runs the command line."""

from deliverability.cli import main

raise SystemExit(main())
