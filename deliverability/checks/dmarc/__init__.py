"""The DMARC check (RFC 7489, RFC 9989) and what it knows: the record parser, the findings, the RFC 9989 tree walk."""
