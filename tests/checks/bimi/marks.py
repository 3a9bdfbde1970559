"""Mark certificates made in the suite, standing in for real VMCs and CMCs.

A real Verified Mark Certificate is an X.509 leaf issued by a mark verifying authority
(DigiCert, Entrust, ...): a subjectAltName with the domain, the id-kp-BIMI extended key
usage, the mark's subject fields (markType, trademark identifiers) and the RFC 3709
logotype extension carrying the SVG as a gzip'd `data:image/svg+xml;base64,` URI. These
have the same parts, signed by a throwaway root the test hands the check as its
`mark_roots` option instead of the authorities' roots checkdmarc ships.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

LOGOTYPE = ObjectIdentifier("1.3.6.1.5.5.7.1.12")
KP_BIMI = ObjectIdentifier("1.3.6.1.5.5.7.3.31")
MARK_TYPE = ObjectIdentifier("1.3.6.1.4.1.53087.1.13")
TRADEMARK_COUNTRY = ObjectIdentifier("1.3.6.1.4.1.53087.1.3")
TRADEMARK_ID = ObjectIdentifier("1.3.6.1.4.1.53087.1.4")
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class MarkAuthority:
    """A throwaway root: its PEM (the check's mark_roots) and its key for issuing leaves."""

    pem: bytes
    name: x509.Name
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls) -> MarkAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Mark Authority"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "Test Mark Root")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - 30 * DAY).not_valid_after(now + 3650 * DAY)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                             False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        return cls(cert.public_bytes(serialization.Encoding.PEM), name, key)

    def issue(self, *, domains: list[str], logo: bytes | None, days: tuple[int, int] = (-1, 365),
              mark_fields: bool = True) -> bytes:
        """A leaf as PEM, followed by the root as its chain; `days` from now to its dates."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (x509.CertificateBuilder().subject_name(_subject(mark_fields))
                   .issuer_name(self.name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now + days[0] * DAY).not_valid_after(now + days[1] * DAY)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]),
                                  critical=False)
                   .add_extension(x509.ExtendedKeyUsage([KP_BIMI]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.key.public_key()), critical=False))
        if logo is not None:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(LOGOTYPE, _logotype(logo)), critical=False)
        leaf = builder.sign(self.key, hashes.SHA256())
        return leaf.public_bytes(serialization.Encoding.PEM) + self.pem


def _subject(mark_fields: bool) -> x509.Name:
    base = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Brands"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Springfield"),
            x509.NameAttribute(NameOID.STREET_ADDRESS, "1 Main Street"),
            x509.NameAttribute(NameOID.BUSINESS_CATEGORY, "Private Organization"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "1234567"),
            x509.NameAttribute(NameOID.JURISDICTION_COUNTRY_NAME, "US")]
    marks = [x509.NameAttribute(MARK_TYPE, "Registered Mark"),
             x509.NameAttribute(TRADEMARK_COUNTRY, "US"),
             x509.NameAttribute(TRADEMARK_ID, "9876543")]
    return x509.Name(base + (marks if mark_fields else []))


def _logotype(svg: bytes) -> bytes:
    """The logo as RFC 3709 carries it in a VMC: a gzip'd data: URI (here in an IA5String)."""
    uri = b"data:image/svg+xml;base64," + base64.b64encode(gzip.compress(svg))
    return b"\x16" + _der_length(len(uri)) + uri


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw
