"""`python -m deliverability` runs the command line."""

from deliverability.cli import console

console()
