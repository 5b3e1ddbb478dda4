"""The SQL of un-rating one film (``storage.unrate`` runs it; parameters are always bound)."""

# Removes the user's rating of the film, if any, and says what it was. Run under the user's
# locks (``Session.lock_existing_user``), like every write for one user.
DELETE_RATING = """
DELETE FROM ratings WHERE user_id = %(u)s AND movie_id = %(f)s
RETURNING stars, rated_at"""
