"""Forms of the entry pages. They only collect input; the rules are in ``entry.services``."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, time

from django import forms
from django.utils.translation import gettext_lazy as _

from summit.entry.models import DEFAULT_WINDOWS, EntryRule, ProofKind
from summit.entry.services.proofs import REJECT_REASONS


@functools.cache
def zone_ids() -> list[str]:
    zones = {z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))}
    return sorted(zones | {"UTC"})


def _tr_name(obj) -> str:
    """A zone or category in the reader's language (choices would show the English name)."""
    return obj.tr_name


class ServiceErrorsMixin:
    #: A service error's ``field`` → the form field that shows it.
    FIELD_OF: dict[str, str] = {}

    def apply_error(self, exc) -> None:
        field = self.FIELD_OF.get(exc.field or "", exc.field)
        self.add_error(field if field in self.fields else None, str(exc.message))


class ProofForm(ServiceErrorsMixin, forms.Form):
    FIELD_OF = {"taken_at": "taken_date"}

    kind = forms.ChoiceField(label=_("Kind of proof"))
    taken_date = forms.DateField(label=_("Date taken"), widget=forms.DateInput(attrs={"type": "date"}))
    taken_time = forms.TimeField(
        label=_("Time taken"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("As printed on the document. Without a time, the start of the day counts."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone of that date and time"))
    file = forms.FileField(
        label=_("Document"),
        help_text=_("A PDF, JPEG or PNG file of at most 5 MB. It is stored encrypted."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args, kinds, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, ProofKind(k).label) for k in kinds]
        self.fields["time_zone"].choices = [(z, z) for z in zone_ids()]
        self.fields["time_zone"].initial = event.time_zone
        self.fields["time_zone"].widget.attrs["data-browser-zone"] = ""

    def taken_at(self) -> datetime:
        data = self.cleaned_data
        zone = zoneinfo.ZoneInfo(data["time_zone"])
        return datetime.combine(data["taken_date"], data.get("taken_time") or time(0, 0)).replace(tzinfo=zone)


class DecisionForm(ServiceErrorsMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Choose a reason"))] + list(REJECT_REASONS.items()), required=False
    )
    note = forms.CharField(
        label=_("Note to the participant"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RuleForm(ServiceErrorsMixin, forms.Form):
    category = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Category"), empty_label=_("Every category")
    )
    zone = forms.ModelChoiceField(queryset=None, required=False, label=_("Zone"), empty_label=_("Every zone"))
    stage = forms.ChoiceField(
        label=_("Checked"),
        choices=EntryRule.STAGE_CHOICES,
        initial=EntryRule.REVIEW,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = event.categories.all()
        self.fields["zone"].queryset = event.zones.all()
        self.fields["category"].label_from_instance = self.fields["zone"].label_from_instance = _tr_name
        for kind in ProofKind:
            self.fields[f"kind_{kind.value}"] = forms.BooleanField(label=kind.label, required=False)
            window = DEFAULT_WINDOWS[kind]
            if window is not None:
                self.fields[f"hours_{kind.value}"] = forms.IntegerField(
                    label=_("valid for (hours)"),
                    min_value=1,
                    max_value=2 * 365 * 24,
                    initial=window // 3600,
                    required=False,
                )

    def kind_rows(self):
        """(checkbox, hours field or None) for each kind, for the template."""
        return [
            (self[f"kind_{k.value}"], self[f"hours_{k.value}"] if f"hours_{k.value}" in self.fields else None)
            for k in ProofKind
        ]

    def accepted(self) -> list[dict]:
        items = []
        for kind in ProofKind:
            if self.cleaned_data.get(f"kind_{kind.value}"):
                hours = self.cleaned_data.get(f"hours_{kind.value}")
                items.append({"kind": kind.value, **({"seconds": hours * 3600} if hours else {})})
        return items


class AccessForm(ServiceErrorsMixin, forms.Form):
    colour = forms.CharField(
        label=_("Badge colour"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    zones = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label=_("Zones it opens"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every zone."),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].queryset = event.zones.all()
        self.fields["zones"].label_from_instance = _tr_name
