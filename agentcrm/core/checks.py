"""System checks of the project's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def plain_http_trial(app_configs, **kwargs):
    """PLAIN_HTTP_TRIAL (production settings over plain http for a local trial) is never
    fit for real use: say so on every deploy check, beside Django's own warnings about the
    secure-only cookies, the https redirect and HSTS it turns off."""
    if not getattr(settings, "PLAIN_HTTP_TRIAL", False):
        return []
    return [
        Warning(
            "PLAIN_HTTP_TRIAL is on: cookies go over plain http and nothing redirects to "
            "https. Only for a trial on one machine; unset it before real use.",
            id="agentcrm.W001",
        )
    ]
