"""`python -m deliverability` runs the command line."""

from deliverability.launch import console

console()
