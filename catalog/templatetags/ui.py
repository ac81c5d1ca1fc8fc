"""Small template helpers for the site's pages."""
from django import template

register = template.Library()


@register.filter
def hue(value) -> int:
    """A stable hue (0–355, in steps of 5: one class each in static/css/scales.css) for a generated
    poster, from the title's id."""
    try:
        return (int(value) * 137) % 72 * 5
    except (TypeError, ValueError):
        return 220


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template, None when missing."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def half_stars():
    """The ten half-star scores, 0.5 to 5.0."""
    from ratings.models import ALLOWED_SCORES

    return ALLOWED_SCORES
