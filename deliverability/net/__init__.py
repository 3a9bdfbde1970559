"""The I/O layer: DNS (with the zone-file overlay) and the HTTPS fetch. It knows no check."""
