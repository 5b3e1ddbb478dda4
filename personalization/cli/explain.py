"""``cinesync explain USER FILM``: why a film would be picked for a member, from its scores."""

from __future__ import annotations

from typing import Any

import click

from personalization.cli.context import Context, echo_json, pass_ctx, plural

__all__ = ["explain_command", "format_explanation"]


@click.command("explain")
@click.argument("user", type=int)
@click.argument("film", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the whole breakdown as JSON.")
@pass_ctx
def explain_command(ctx: Context, user: int, film: int, as_json: bool) -> None:
    """Why FILM would be picked for USER: its score term by term (each term's weight in the
    blend, its scaled score from 0 to 1 and their product), the films of USER's history that
    moved it most (the score with the film minus the score without it: each is measured by
    leaving it out), the taste-profile features it has, and up to three reasons. Like the
    reasons `cinesync recommend` prints, they name only films whose removal lowers the score,
    but explain measures more of the history (the newest 100 films, where recommend measures 3
    liked films per list), so it can name other films than recommend for the same pick. FILM
    must be one USER has not rated or reacted to."""
    with ctx.service() as svc:
        explanation = svc.explain(user, film)
    if as_json:
        echo_json(explanation.to_dict())
        return
    click.echo(format_explanation(explanation))


def _stars(h: Any) -> str:
    if h.feedback:
        return h.feedback
    return f"{h.stars:g}★" if h.stars is not None else "?"


def format_explanation(e: Any) -> str:
    """The breakdown as text (``Explanation`` from ``Service.explain``)."""
    mode = "personal picks" if e.mode == "personal" else "base order: too few films rated for personal picks"
    lines = [
        f"user {e.user_id}: {e.film.label}, rank {e.rank} of {e.candidates:,}, score {e.score:.3f} ({mode})",
        "why:",
        *(f"  - {r}" for r in e.reasons),
        "",
        f"  {'term':<12} {'weight':>6} {'score':>6} {'part':>6}",
    ]
    for t in e.terms:
        lines.append(f"  {t.term:<12} {t.weight:6.3f} {t.score:6.3f} {t.part:6.3f}")
    lines.append(f"  {'total':<12} {sum(t.weight for t in e.terms):6.3f} {'':>6} {e.score:6.3f}")
    lines.append("")
    lines.append(
        f"films that moved it most (score with the film minus without it; "
        f"{e.films_measured} of {plural(e.n_history, 'film')} measured):"
    )
    for h in e.history:
        terms = sorted(h.by_term.items(), key=lambda kv: -abs(kv[1]))[:3]
        split = ", ".join(f"{t} {v:+.3f}" for t, v in terms)
        lines.append(f"  {h.contribution:+.3f}  {h.film.label} ({_stars(h)})  [{split}]")
    if not e.history:
        lines.append("  (none: the score does not depend on the history)")
    if e.features:
        lines.append("")
        lines.append("in your taste profile:")
        for f in e.features:
            lines.append(
                f"  {f.field} {f.name}: {plural(f.n, 'film')} rated, {f.mean:.2f}★ on average "
                f"({f.above_average:+.2f} against your average)"
            )
    return "\n".join(lines)
