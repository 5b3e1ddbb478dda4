"""What the bot shows: embeds and lines built from the service's results (pure functions).

Nothing here talks to Discord or the database: each function takes a service result and returns
a ``discord.Embed`` or a string, with every piece cut to Discord's limits (``limits.shorten``),
so the cogs stay thin and the tests can call these directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import discord

from personalization.core.catalogue import Film
from personalization.core.preferences import FeatureScore, PreferenceProfile
from personalization.data.links import film_urls
from personalization.service import RateResult, Recommendations, Status

from . import limits
from .limits import fit_lines, shorten

__all__ = [
    "plural",
    "film_label",
    "film_links",
    "import_report_text",
    "stars_text",
    "star_choice_name",
    "decade_name",
    "progress_text",
    "rated_text",
    "feedback_text",
    "recommendations_embed",
    "too_few_ratings_text",
    "quick_card_embed",
    "quick_done_embed",
    "similar_embed",
    "profile_embed",
    "status_embed",
    "status_error_embed",
    "error_text",
    "fit_embed",
    "FEEDBACK_LABELS",
    "BRAND",
]

BRAND = discord.Colour.from_rgb(229, 9, 20)
FEEDBACK_LABELS = {  # kind -> (button label, emoji, what the confirmation says)
    "love": ("Love", "❤️", "loved"),
    "like": ("Like", "👍", "liked"),
    "dislike": ("Dislike", "👎", "disliked"),
    "hate": ("Hate", "💀", "hated"),
    "not_interested": ("Not interested", "🚫", "marked not interested"),
}


def plural(n: int, one: str, many: str | None = None) -> str:
    """The count with its noun: ``plural(1, "film")`` -> "1 film", ``plural(1200, "film")`` ->
    "1,200 films"; ``many`` for nouns that do not just take an "s"."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def counted_signals(n: int) -> str:
    """What the personal-picks threshold counts: films rated or given feedback (a film with both
    counts once), e.g. "1 rating or reaction", "3 ratings or reactions"."""
    return plural(n, "rating or reaction", "ratings or reactions")


def film_label(film: Film, limit: int = limits.CHOICE_NAME) -> str:
    """ "Title (Year)" in at most ``limit`` characters: a long title is cut, the year kept."""
    year = f" ({film.year})" if film.year else ""
    return shorten(film.title, max(1, limit - len(year))) + year


def stars_text(stars: float) -> str:
    """3.5 -> "★★★½ 3.5": the picture and the number (screen readers read the number)."""
    whole, half = int(stars), (stars * 2) % 2 == 1
    return "★" * whole + ("½" if half else "") + f" {stars:g}"


def star_choice_name(stars: float) -> str:
    return f"{stars_text(stars)} star{'s' if stars != 1 else ''}"


def decade_name(decade: int) -> str:
    return f"{int(decade) // 10 * 10}s"


def progress_text(n_signals: int, min_ratings: int) -> str:
    """How far the person is from personal picks, counting films rated or reacted to, e.g.
    "3 ratings or reactions — 5 needed for personal picks (2 to go)"."""
    if n_signals >= min_ratings:
        return f"{counted_signals(n_signals)} — enough for personal picks"
    return f"{counted_signals(n_signals)} — {min_ratings} needed for personal picks ({min_ratings - n_signals} to go)"


def rated_text(result: RateResult, film: Film, n_signals: int, min_ratings: int) -> str:
    """The reply to /rate; ``n_signals``: films the person has now rated or reacted to."""
    verb = "Re-rated" if result.replaced else "Rated"
    text = f"{verb} **{film_label(film, 200)}**: {stars_text(result.stars)}.\n{progress_text(n_signals, min_ratings)}."
    return shorten_message(text)


def feedback_text(kind: str, film: Film) -> str:
    said = FEEDBACK_LABELS[kind][2]
    return shorten_message(
        f"{FEEDBACK_LABELS[kind][1]} You {said} **{film_label(film, 200)}** — "
        "I won't suggest it again, and the next /my_recommendations reflects "
        "your updated taste."
    )


def too_few_ratings_text(n_signals: int, min_ratings: int) -> str:
    return (
        f"You have rated or reacted to {plural(n_signals, 'film')}; personal picks need "
        f"{min_ratings} (ratings and reactions both count). Until then these are popular "
        "picks. Press **Rate films** to rate a few quickly."
    )


def shorten_message(text: str) -> str:
    """Plain message content within 2,000 characters (keeps line breaks)."""
    return fit_lines(text.split("\n"), limits.MESSAGE)


def error_text(message: str) -> str:
    return shorten(f"⚠️ {message}", limits.MESSAGE)


def film_links(film: Film) -> str:
    """ "[IMDb](url) · [TMDb](url)" for the catalogues the film is linked to, else ""."""
    return " · ".join(f"[{name}]({url})" for name, url in film_urls(film.metadata).items())


def import_report_text(summary: str, n_signals: int, min_ratings: int) -> str:
    """The private reply to /import_history: the match report, then the progress."""
    return shorten_message(f"**Imported your history**\n{summary}\n{progress_text(n_signals, min_ratings)}.")


def _genres(film: Film) -> str:
    return ", ".join(film.genres) if film.genres else "no genre listed"


def recommendations_embed(
    recs: Recommendations,
    *,
    genre: str | None = None,
    decade: int | None = None,
    feedback: Mapping[int, str] | None = None,
    n_signals: int | None = None,
) -> discord.Embed:
    """The picks: one field per film (title, year, genres, match score, reason).

    ``n_signals``: films rated or reacted to now, when it has changed since ``recs`` were made
    (reactions to these picks count towards personal picks too).
    """
    feedback = feedback or {}
    personal = recs.mode == "personal"
    n = recs.n_ratings if n_signals is None else n_signals
    title = "Your personal picks" if personal else "Popular picks to start with"
    filters = " in ".join(
        f for f in (f"genre **{genre}**" if genre else "", f"the **{decade_name(decade)}**" if decade else "") if f
    )
    lines = [progress_text(n, recs.min_ratings) + "."]
    if filters:
        lines.append(f"Filtered to {filters}.")
    if not personal:
        if n < recs.min_ratings:
            lines.append(too_few_ratings_text(n, recs.min_ratings))
        elif recs.n_ratings < recs.min_ratings:
            lines.append("That is enough: run **/my_recommendations** again for personal picks.")
        else:
            lines.append("These are popular picks: your ratings and reactions do not lean towards any films yet.")
    if not recs.items:
        lines.append("No films match: try another genre or decade, or none.")
    embed = discord.Embed(
        title=shorten(title, limits.EMBED_TITLE), colour=BRAND, description=fit_lines(lines, limits.EMBED_DESCRIPTION)
    )
    for i, rec in enumerate(recs.items[: limits.EMBED_FIELDS], start=1):
        mark = feedback.get(rec.film.id)
        name = f"{i}. {film_label(rec.film, limits.FIELD_NAME - 8)}"
        if mark:
            name = f"{name} {FEEDBACK_LABELS[mark][1]}"
        value = [f"{_genres(rec.film)} · match {rec.score:.0%}", f"*{rec.reason}*"]
        if links := film_links(rec.film):
            value.append(links)
        embed.add_field(name=shorten(name, limits.FIELD_NAME), value=fit_lines(value, limits.FIELD_VALUE), inline=False)
    weight = f"personal blend {recs.blend_weight:.0%} · " if personal else ""
    base_model = recs.items[0].base_model if recs.items else "popularity"
    embed.set_footer(
        text=shorten(
            f"{weight}base model: {base_model} · pick a film below, then tell me what you think", limits.FOOTER
        )
    )
    return fit_embed(embed)


def quick_card_embed(
    film: Film, n_signals: int, min_ratings: int, *, rated_now: int = 0, last: str | None = None
) -> discord.Embed:
    """One quick-rating card: the film, its genres and credits, and the progress so far
    (``n_signals``: films rated or reacted to)."""
    lines = [f"Genres: {_genres(film)}"]
    if film.directors:
        lines.append("Directed by " + ", ".join(film.directors[:3]))
    if film.actors:
        lines.append("With " + ", ".join(film.actors[:4]))
    if links := film_links(film):
        lines.append(links)
    lines.append("")
    lines.append("Seen it? Pick the stars (half stars in the menu), or **Skip**.")
    embed = discord.Embed(
        title=shorten(film_label(film, limits.EMBED_TITLE), limits.EMBED_TITLE),
        description=fit_lines(lines, limits.EMBED_DESCRIPTION),
        colour=BRAND,
        url=film_urls(film.metadata).get("IMDb"),
    )
    footer = progress_text(n_signals, min_ratings)
    if rated_now:
        footer += f" · {rated_now} this round"
    if last:
        footer = f"{last} · {footer}"
    embed.set_footer(text=shorten(footer, limits.FOOTER))
    return fit_embed(embed)


def quick_done_embed(n_signals: int, min_ratings: int, rated_now: int, *, out_of_films: bool) -> discord.Embed:
    why = "No more films to suggest right now." if out_of_films else "Done for now."
    lines = [why, f"You rated {plural(rated_now, 'film')} this round.", progress_text(n_signals, min_ratings) + "."]
    if n_signals >= min_ratings:
        lines.append("Try **/my_recommendations** for your personal picks.")
    return fit_embed(
        discord.Embed(title="Quick rating", colour=BRAND, description=fit_lines(lines, limits.EMBED_DESCRIPTION))
    )


def similar_embed(film: Film, similar: Sequence[tuple[Film, float]]) -> discord.Embed:
    embed = discord.Embed(
        title=shorten(f"More like {film_label(film, 200)}", limits.EMBED_TITLE),
        colour=BRAND,
        url=film_urls(film.metadata).get("IMDb"),
    )
    lines = [f"**{film_label(f, 150)}** — {_genres(f)} · similarity {sim:.0%}" for f, sim in similar]
    embed.description = fit_lines(lines or ["Nothing similar found."], limits.EMBED_DESCRIPTION)
    embed.set_footer(text="Similar in genres, people and era (content, not ratings).")
    return fit_embed(embed)


def _features(scores: Iterable[FeatureScore], n: int = 5) -> str:
    lines = [f"{s.name} — {s.mean:.1f}★ over {plural(s.n, 'film')}" for s in list(scores)[:n]]
    return fit_lines(lines, limits.FIELD_VALUE) if lines else "not enough ratings yet"


def how_personal_text(picks: Recommendations) -> str:
    """How the person's picks are made, from the picks themselves: the personal weight only when
    the picks use it (below the threshold they use none, whatever weight is stored)."""
    if picks.mode == "personal":
        w = picks.blend_weight
        return f"{w:.0%} your taste, {1 - w:.0%} what is popular"
    missing = picks.min_ratings - picks.n_ratings
    if missing > 0:
        more = plural(missing, "more rating or reaction", "more ratings or reactions")
        return f"not yet, popular picks only: {more} needed"
    return "not yet, popular picks only: your ratings and reactions do not lean towards any films yet"


def profile_embed(profile: PreferenceProfile, picks: Recommendations, *, name: str | None = None) -> discord.Embed:
    """The taste profile: favourites, style, diversity, counts and how personal the picks are.

    ``picks``: the person's recommendations as the service makes them now (one is enough): what
    the threshold counts (films rated or reacted to) and whether the picks are personal.
    """
    who = f"{name}'s taste" if name else "Your taste"
    embed = discord.Embed(title=shorten(who, limits.EMBED_TITLE), colour=BRAND)
    mean = f"{profile.mean_rating:.2f}★" if profile.mean_rating is not None else "—"
    style = {
        "generous": "generous (you rate above the community)",
        "harsh": "harsh (you rate below the community)",
        "balanced": "balanced (close to the community)",
    }.get(profile.style, "unknown yet")
    embed.description = fit_lines(
        [
            progress_text(picks.n_ratings, picks.min_ratings) + ".",
            (f"Average {mean} over {plural(profile.n_ratings, 'rating')}" if profile.n_ratings else "No ratings yet")
            + f" (community average {profile.community_mean:.2f}★)",
            f"Rating style: {style}",
            f"Diversity: {profile.diversity:.0%} of the genre range",
            f"How personal your picks are: {how_personal_text(picks)}",
        ],
        limits.EMBED_DESCRIPTION,
    )
    embed.add_field(name="Favourite genres", value=_features(profile.genres), inline=True)
    embed.add_field(name="Favourite decades", value=_features(profile.decades), inline=True)
    embed.add_field(name="Favourite directors", value=_features(profile.directors), inline=False)
    embed.add_field(name="Favourite actors", value=_features(profile.actors), inline=False)
    dist = " · ".join(f"{k}★ {v}" for k, v in profile.distribution.items() if v)
    if dist:
        embed.add_field(name="Your ratings", value=shorten(dist, limits.FIELD_VALUE), inline=False)
    embed.set_footer(text="Favourites: what you rate above your own average, most telling first.")
    return fit_embed(embed)


def status_embed(status: Status) -> discord.Embed:
    embed = discord.Embed(title="CineSync status", colour=BRAND)
    embed.add_field(name="Catalogue", value=plural(status.films, "film"), inline=True)
    embed.add_field(name="People", value=f"{status.users:,} ({status.personalised_users:,} personalised)", inline=True)
    embed.add_field(
        name="Signals", value=f"{plural(status.ratings, 'rating')} · {plural(status.feedback, 'reaction')}", inline=True
    )
    embed.add_field(name="Database", value=shorten(f"ok · {status.database}", limits.FIELD_VALUE), inline=False)
    versions = ", ".join(status.model_versions) or "none stored yet"
    embed.add_field(
        name="Model versions",
        value=shorten(f"current {status.current_model_version}; stored: {versions}", limits.FIELD_VALUE),
        inline=False,
    )
    if status.cache:
        cache = " · ".join(f"{k} {v}" for k, v in status.cache.items())
        embed.add_field(name="This process's cache", value=shorten(cache, limits.FIELD_VALUE), inline=False)
    return fit_embed(embed)


def status_error_embed(error: BaseException) -> discord.Embed:
    """The status when the engine cannot answer: the kind of failure, details in the log."""
    embed = discord.Embed(
        title="CineSync status",
        colour=discord.Colour.dark_red(),
        description=shorten(
            f"Database unreachable or failing: {type(error).__name__}. The log has the details.",
            limits.EMBED_DESCRIPTION,
        ),
    )
    return fit_embed(embed)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Drop trailing fields until the embed is within Discord's 6,000-character total."""
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed
