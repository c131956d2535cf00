"""Sign-up by invitation link for in-house raters: a username and a password, then My tasks."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.api_errors import ApplicationError
from recruitment.services import invitation_accept, invitation_usable

BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    try:
        invitation_usable(token=token)
    except ApplicationError as exc:
        return render(request, "frontend/panel/refused.html", {"message": exc.message}, status=exc.status_code)
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token, username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
            )
        except ApplicationError as exc:
            form.add_error("username" if exc.status_code == 400 else None, exc.message)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("frontend:tasks")
    status = 400 if request.method == "POST" else 200
    return render(request, "frontend/panel/invitation.html", {"form": form}, status=status)
