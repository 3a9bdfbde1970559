"""The recipient-side guide: platform detection from MX, the sender values each platform takes, SPF ranges."""
