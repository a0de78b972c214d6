"""Back office: CSV import of a delegation list. The rules live in :mod:`summit.registration.imports`."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from summit.core.errors import SummitError
from summit.core.http import base_url
from summit.events import roles
from summit.events.services import get_event
from summit.registration import imports
from summit.registration.models import Participant

SESSION_KEY = "summit_import_result"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file (UTF-8)"),
        help_text=gettext_lazy("At most 10 MB. Save from your spreadsheet as “CSV UTF-8”."),
    )
    default_category = forms.ModelChoiceField(
        label=gettext_lazy("Category for rows without one"),
        queryset=None,
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("— none: every row names its category —"),
    )
    notify = forms.BooleanField(
        label=gettext_lazy("Send each person an e-mail"),
        required=False,
        help_text=gettext_lazy("The registration e-mail with a personal sign-in link."),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_category"].queryset = event.categories.all()
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is too large (%(size).1f MB); at most 10 MB are accepted. Split the list into several files."
                )
                % {"size": upload.size / 1024 / 1024}
            )
        return upload


def import_participants(request, slug):
    event = get_event(slug)
    roles.require(roles.can_accredit(request.user, event))
    errors: list[dict] = []
    error_message = ""
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, event=event)
        if form.is_valid():
            data = form.cleaned_data["file"].read()
            try:
                result = imports.import_participants(
                    event=event,
                    data=data,
                    actor=request.user,
                    default_category=form.cleaned_data["default_category"],
                    notify=form.cleaned_data["notify"],
                    base_url=base_url(request),
                )
            except SummitError as exc:
                errors = exc.errors or [
                    {"row": "", "column": exc.field or "", "code": exc.code, "detail": exc.detail}
                ]
                error_message = exc.detail
            else:
                # Post/redirect/get: reloading the result page does not import the file again.
                request.session[SESSION_KEY] = {
                    "event": event.pk,
                    "total": result.total,
                    "counts": result.counts,
                    "notified": bool(form.cleaned_data["notify"]),
                }
                return redirect(reverse("manage:import", args=[event.slug]) + "?done=1")
    else:
        form = ImportForm(event=event)
    result = None
    stored = request.session.pop(SESSION_KEY, None) if request.method == "GET" else None
    if stored and stored.get("event") == event.pk:
        labels = dict(Participant.STATUS_CHOICES)
        result = {
            "total": stored["total"],
            "notified": stored["notified"],
            "counts": [(code, labels.get(code, code), n) for code, n in stored["counts"].items() if n],
        }
    categories = list(event.categories.all())
    return render(
        request,
        "registration/manage/import.html",
        {
            "event": event,
            "section": "import",
            "is_organizer": roles.is_organizer(request.user, event),
            "form": form,
            "errors": errors,
            "error_message": error_message,
            "result": result,
            "columns": _column_docs(),
            "categories": categories,
            "example": imports.template_csv(),
        },
        status=422 if errors else 200,
    )


def import_template(request, slug):
    event = get_event(slug)
    roles.require(roles.can_accredit(request.user, event))
    response = HttpResponse("\ufeff" + imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-participants-template.csv"'
    return response


def _column_docs() -> list[dict]:
    o, r = _("optional"), _("required")
    docs = [
        ("email", r, _("E-mail address; one per person, not yet registered for this event.")),
        ("given_name", r, _("Given name in the person’s own script (伟, Анна, محمد, Anna).")),
        ("family_name", r, _("Family name in the person’s own script.")),
        ("country", r, _("ISO code (CN, CHN) or English name (China).")),
        (
            "category",
            _("required unless a category is chosen below"),
            _("Category code, see the list below."),
        ),
        (
            "given_name_latin",
            _("required for names in scripts other than Latin, Cyrillic, Greek and Chinese"),
            _(
                "As in the passport. Left empty, it is spelled automatically for Latin, Cyrillic, Greek and "
                "Chinese (pinyin) names; Arabic, Hebrew, Indic, Thai, Korean, Japanese and other names need it."
            ),
        ),
        (
            "family_name_latin",
            _("required for names in scripts other than Latin, Cyrillic, Greek and Chinese"),
            _("As in the passport; as for the given name."),
        ),
        ("name_order", o, "given_first, family_first"),
        ("title", o, _("For example Dr., Prof., H.E.")),
        ("position", o, _("Position or job title.")),
        ("organization", o, _("Organization name in its own script.")),
        ("organization_latin", o, _("Organization name in Latin letters.")),
        ("organization_type", o, "government, international, company, research, media, other"),
        ("phone", o, _("Phone number.")),
        ("attendance_mode", o, _("onsite or online (default onsite; online for online-only categories).")),
        ("language", o, _("Language of e-mails: en or zh-hans.")),
        ("outlet", o, _("Media outlet (journalists).")),
        ("press_card_number", o, _("Press card number (journalists; the card itself is uploaded later).")),
    ]
    return [{"name": n, "need": need, "detail": d} for n, need, d in docs]
