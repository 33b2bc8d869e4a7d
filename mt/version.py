"""The version of mt, written into every output (TMX header, manifest, signature)."""

__version__ = "0.1.0"
