"""The pure learning core: numpy only, no I/O.

``catalogue`` and ``encoder`` turn films into content vectors, ``signals`` says what a rating or a
feedback means, ``user_model`` learns a user's taste vector one event at a time, ``base_models``
are the collaborative models, ``ensemble`` blends them with the personal term, ``ranker`` picks
the top k, ``preferences`` analyses a user's taste.
"""
