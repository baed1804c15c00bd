"""What a data export wrote, against what it was given: a layer or a feature lost on the
way fails the export instead of passing unnoticed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from geo_app.i18n import load_strings


class IncompleteExport(OSError):
    """The file holds fewer layers or features than it was given.

    An ``OSError``, because to the person exporting it is a file that could not be written
    completely: the command line and the app already report those in one line, in their
    language, and stop (a non-zero exit), never leaving the partial file behind.
    """


def check_written(
    written: Sequence[tuple[str, int]],
    given: Sequence[tuple[str, int]],
    lang: str,
    names: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`IncompleteExport` unless the ``written`` (layer, feature count) pairs
    are ``given``'s, layer for layer; ``names`` name the layers in the message."""
    strings = load_strings()
    found = dict(written)
    kept = sum(1 for layer, _ in given if layer in found)
    if len(written) != len(given) or kept != len(given):
        # A layer too many (one the data smuggled in) is as wrong as one lost.
        count = len(written) if len(written) != len(given) else kept
        raise IncompleteExport(strings.get(
            "export.error.incomplete_layers", lang, written=count, given=len(given)))
    for layer, count in given:
        if found[layer] != count:
            label = (names or {}).get(layer, layer)
            raise IncompleteExport(strings.get(
                "export.error.incomplete_features", lang, layer=label, written=found[layer],
                given=count))
