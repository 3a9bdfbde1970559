"""deliverability: tells why email from a sender does not reach its recipients."""

__version__ = "0.1.0"
