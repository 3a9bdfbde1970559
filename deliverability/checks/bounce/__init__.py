"""Bounces: what the receiver answered, what it means, and what to do (`deliverability bounce`).

`check.py` is the check; `read.py` turns one input (a message, an ESP export, pasted text)
into Bounce values with the help of `mime`, `dsn`, `human` and `esp`; `reasons` and
`providers` classify them from data (`deliverability/data/bounce_reasons.toml`); `advice`
writes the next steps; `sources` walks files, mailboxes and directories; `summary` counts.
"""
