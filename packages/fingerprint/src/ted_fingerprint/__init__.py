"""Content fingerprints of TED projects that decide whether a model must be retrained.

A fingerprint is a set of named sections, each the sha256 of a canonical encoding of that part
of the project; :func:`compare` tells whether training is needed and whether fine-tuning the
archived model is enough.
"""

from ted_fingerprint.canonical import (
    ENCODING_VERSION,
    MAX_DEPTH,
    canonical_digest,
    canonical_encode,
)
from ted_fingerprint.compare import (
    Decision,
    FingerprintComparison,
    SectionChange,
    SectionStatus,
    compare,
)
from ted_fingerprint.errors import (
    CanonicalEncodingError,
    FingerprintError,
    FingerprintFormatError,
    FingerprintNotFoundError,
    InvalidFingerprintError,
    UnsupportedTypeError,
)
from ted_fingerprint.fingerprint import FORMAT_VERSION, Fingerprint
from ted_fingerprint.project import PROJECT_SECTIONS, default_code_section, project_fingerprint
from ted_fingerprint.version import __version__

__all__ = [
    "ENCODING_VERSION",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "PROJECT_SECTIONS",
    "CanonicalEncodingError",
    "Decision",
    "Fingerprint",
    "FingerprintComparison",
    "FingerprintError",
    "FingerprintFormatError",
    "FingerprintNotFoundError",
    "InvalidFingerprintError",
    "SectionChange",
    "SectionStatus",
    "UnsupportedTypeError",
    "__version__",
    "canonical_digest",
    "canonical_encode",
    "compare",
    "default_code_section",
    "project_fingerprint",
]
