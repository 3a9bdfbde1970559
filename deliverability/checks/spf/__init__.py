"""The SPF check (RFC 7208) and what it knows: the parser, the include walk, pyspf evaluation, findings, advice."""
