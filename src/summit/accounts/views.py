"""The "my API tokens" page, shared by the back office (organizers) and participants (their own tokens).

Both list the signed-in user's tokens of one event, create one (its raw value is shown once) and revoke one.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from summit.accounts import services
from summit.accounts.models import ApiToken
from summit.core.errors import NotFound, SummitError


def token_page(request, event, *, template: str, context: dict):
    """List and create the user's tokens of ``event``; ``context`` adds what the page around it needs."""
    raw_token, new_token, error, name = None, None, None, ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            new_token, raw_token = services.create_api_token(event=event, user=request.user, name=name)
        except SummitError as exc:
            error = exc.detail
        else:
            name = ""
    response = render(
        request,
        template,
        {
            **context,
            "tokens": ApiToken.objects.filter(event=event, user=request.user),
            "raw_token": raw_token,
            "new_token": new_token,
            "error": error,
            "name": name,
        },
    )
    # The raw token appears in this response only: keep it out of every cache.
    response["Cache-Control"] = "private, no-store"
    return response


def revoke(request, event, pk, *, back: str):
    """Revoke one of the user's own tokens of ``event`` (anyone else's is 404) and go back to ``back``."""
    token = ApiToken.objects.filter(event=event, user=request.user, pk=pk).select_related("event").first()
    if token is None:
        raise NotFound()
    services.revoke_api_token(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect(back, slug=event.slug)
