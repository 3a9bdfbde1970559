"""The BIMI check and its SVG Tiny PS rules."""
