"""Measuring the engine: the prequential ``replay``, the ``tune``-r, the speed ``bench`` and the
original design re-implemented as a baseline (``seed``)."""
