"""The DKIM check (RFC 6376, RFC 8463) and what it knows: key records, the selectors providers use."""
