"""Reading a delivered message: what the receiving system saw and decided.

`parse` reads the bytes safely, `received` walks the Received chain, `authres`
parses RFC 8601 Authentication-Results, `signatures` verifies DKIM and ARC through
our DNS layer, `alignment` computes DMARC from the message, `verdicts` decodes
vendors' spam headers from data, `hygiene` looks at bulk-sender headers. `check` turns them
into findings.
"""
