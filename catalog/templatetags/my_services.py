"""The "my services" form and the lists' switch, drawn on pages of any app (the account page lives
in ``ratings``, below the catalog, and names no platform)."""
from django import template

from ..my_services import platform_data_exists, platforms_to_choose, services_of

register = template.Library()


@register.inclusion_tag("catalog/_services_form.html", takes_context=True)
def services_form(context, submit: str = "Save my services"):
    request = context["request"]
    services = services_of(request.user)
    return {
        "request": request, "csrf_token": context.get("csrf_token"), "services": services,
        "chosen": set(services.slugs), "platforms": platforms_to_choose(), "platform_data": platform_data_exists(),
        "submit": submit,
    }


@register.inclusion_tag("catalog/_services_switch.html", takes_context=True)
def services_switch(context, services=None):
    """``services``: the page's ``MyServices`` when it read them already (else read here)."""
    request = context["request"]
    if services is None:
        services = services_of(request.user)
    return {"request": request, "csrf_token": context.get("csrf_token"), "services": services, "user": request.user}
