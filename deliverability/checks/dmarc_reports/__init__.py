"""DMARC aggregate reports (RFC 7489 section 7 and appendix C, RFC 9990): read, count, diagnose.

`deliverability dmarc-reports PATH...` reads the reports receivers send to `rua`
(see docs/dmarc-reports.md); the check in check.py turns them into findings.
"""
