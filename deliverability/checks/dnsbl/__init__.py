"""The DNS blocklist check (RFC 5782) and its catalog of lists."""
