"""The account page where people create and revoke their API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from accounts.throttles import TokenCreateThrottle, retry_after

from ..tokens import token_create, token_list_for_user, token_revoke


@login_required
def account_tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    new_key = None
    retry = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            throttle = TokenCreateThrottle()
            if throttle.allow(request):
                _, new_key = token_create(user=user, name=request.POST.get("name", ""))
            else:
                retry = retry_after(throttle)
                messages.error(
                    request,
                    gettext("Too many new tokens; try again in %(seconds)s s.")
                    % {"seconds": retry},
                )
        elif action == "revoke":
            token_id = request.POST.get("token", "")
            if token_id.isdigit() and token_revoke(user=user, token_id=int(token_id)):
                messages.success(request, gettext("The token is revoked."))
            else:
                messages.error(request, gettext("No such active token."))
            return redirect("account-tokens")
    response = render(
        request,
        "api/tokens.html",
        {
            "tokens": token_list_for_user(user=user),
            "new_key": new_key,
            "api_base": request.build_absolute_uri("/"),
        },
        status=429 if retry else 201 if new_key else 200,
    )
    if retry:
        response["Retry-After"] = retry
    return response
