"""A rater's voluntary demographics: asked once (on My tasks), editable and deletable here at any time."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annotation.models import Demographics
from annotation.selectors import demographics_of
from annotation.services.raters import demographics_decline, demographics_delete, demographics_save
from config.api_errors import ApplicationError


def _fields(current: Demographics | None, posted=None) -> list[dict]:
    rows = []
    for name in Demographics.FIELDS:
        field = Demographics._meta.get_field(name)
        value = posted.get(name, "") if posted is not None else (getattr(current, name) if current else "")
        rows.append({"name": name, "label": field.verbose_name, "choices": field.choices, "current": value})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def demographics(request):
    current = demographics_of(rater_id=request.user.pk)
    if request.method == "POST":
        answers = {name: request.POST.get(name, "") for name in Demographics.FIELDS}
        try:
            demographics_save(rater_id=request.user.pk, answers=answers)
        except ApplicationError as exc:
            context = {"fields": _fields(current, request.POST), "error": exc.message, "current": current}
            return render(request, "frontend/demographics.html", context, status=400)
        messages.success(request, "Thank you: your answers are saved. You can change or delete them here any time.")
        return redirect("frontend:demographics")
    return render(request, "frontend/demographics.html", {"fields": _fields(current), "current": current})


@login_required
@require_POST
def demographics_forget(request):
    demographics_delete(rater_id=request.user.pk)
    messages.success(request, "Your answers are deleted. We will not ask again.")
    return redirect("frontend:tasks")


@login_required
@require_POST
def demographics_no_thanks(request):
    demographics_decline(rater_id=request.user.pk)
    return redirect("frontend:tasks")
