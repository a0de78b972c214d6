"""Forms parse input; the rules live in services. Service field errors are put back on the form fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from summit.core.errors import SummitError
from summit.core.text import UnsafeEmail, clean_email
from summit.registration.models import Organization, Participant

PERSON_FIELD_NAMES = [
    "given_name",
    "family_name",
    "given_name_latin",
    "family_name_latin",
    "name_order",
    "title",
    "position",
    "organization_name",
    "organization_name_latin",
    "organization_type",
    "country",
    "phone",
    "language",
    "outlet",
    "press_card_number",
]


class PersonForm(forms.Form):
    given_name = forms.CharField(
        label=_("Given name"), max_length=100, help_text=_("In your own script, e.g. 伟 or Анна.")
    )
    family_name = forms.CharField(
        label=_("Family name"), max_length=100, help_text=_("In your own script, e.g. 王 or Иванова.")
    )
    given_name_latin = forms.CharField(
        label=_("Given name (Latin letters)"),
        max_length=100,
        required=False,
        help_text=_(
            "As in your passport. Left empty, a name in Latin, Cyrillic, Greek or Chinese characters is spelled "
            "for you; a name in another script needs it."
        ),
    )
    family_name_latin = forms.CharField(
        label=_("Family name (Latin letters)"), max_length=100, required=False
    )
    name_order = forms.ChoiceField(
        label=_("Name order"), choices=Participant.NAME_ORDER_CHOICES, initial=Participant.GIVEN_FIRST
    )
    title = forms.CharField(
        label=_("Title"), max_length=50, required=False, help_text=_("For example Dr., Prof., H.E.")
    )
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    organization_name = forms.CharField(label=_("Organization"), max_length=200, required=False)
    organization_name_latin = forms.CharField(
        label=_("Organization (Latin letters)"), max_length=200, required=False
    )
    organization_type = forms.ChoiceField(
        label=_("Organization type"), choices=Organization.TYPE_CHOICES, initial=Organization.OTHER
    )
    # Choices are listed when the form is shown, in the viewer's language and order (not once at import).
    country = LazyTypedChoiceField(label=_("Country"), choices=lambda: [("", "---------"), *countries])
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=Participant.LANGUAGE_CHOICES)
    outlet = forms.CharField(label=_("Media outlet"), max_length=200, required=False)
    press_card_number = forms.CharField(label=_("Press card number"), max_length=64, required=False)
    press_card_file = forms.FileField(label=_("Press card (PDF, JPEG or PNG, at most 5 MB)"), required=False)

    def person_data(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in PERSON_FIELD_NAMES if name in self.fields}

    def apply_error(self, error: SummitError) -> None:
        """Show a service error on the fields it names (or on the whole form)."""
        placed = False
        for item in error.errors or []:
            field = item.get("field")
            if field == "organization":
                field = "organization_name"
            if field in self.fields:
                self.add_error(field, item["detail"])
                placed = True
        if not placed:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.detail)


class EmailField(forms.EmailField):
    """An e-mail address put in Summit's one form (core/text.py); invisible and direction-control characters
    get their own message rather than "enter a valid address"."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return clean_email(value)
        except UnsafeEmail as exc:
            raise ValidationError(exc.detail, code=exc.code) from None


class RegistrationForm(PersonForm):
    email = EmailField(label=_("E-mail"), max_length=254)
    category = forms.ChoiceField(label=_("Category"))
    attendance_mode = forms.ChoiceField(
        label=_("Attendance"),
        choices=Participant.MODE_CHOICES,
        widget=forms.RadioSelect,
        initial=Participant.ONSITE,
    )
    invitation_code = forms.CharField(widget=forms.HiddenInput, required=False)
    field_order = [
        "email",
        "category",
        "attendance_mode",
        "given_name",
        "family_name",
        "given_name_latin",
        "family_name_latin",
    ]

    def __init__(self, *args, categories, invitation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {str(c.pk): c for c in categories}
        self.fields["category"].choices = [("", "---------")] + [(str(c.pk), c.tr_name) for c in categories]
        if invitation is not None:
            self.fields["category"].choices = [(str(invitation.category.pk), invitation.category.tr_name)]
            self.fields["category"].initial = str(invitation.category.pk)
            self.fields["category"].disabled = True
            self.categories = {str(invitation.category.pk): invitation.category}

    def chosen_category(self):
        return self.categories.get(str(self.cleaned_data.get("category") or ""))


class EditForm(PersonForm):
    def __init__(self, *args, participant: Participant, **kwargs):
        initial = {name: getattr(participant, name, "") for name in PERSON_FIELD_NAMES}
        initial["country"] = str(participant.country)
        if not participant.latin_given:
            # Derived, not written: left empty it is derived again from the name as it is then (or asked for).
            initial["given_name_latin"] = initial["family_name_latin"] = ""
        if participant.organization_id:
            initial.update(
                organization_name=participant.organization.name,
                organization_name_latin=participant.organization.name_latin,
                organization_type=participant.organization.type,
            )
        super().__init__(*args, initial=initial, **kwargs)
        if not participant.latin_given:
            for name in ("given_name_latin", "family_name_latin"):
                shown = getattr(participant, f"shown_{name}")
                if shown:
                    self.fields[name].widget.attrs["placeholder"] = shown
        category = participant.category
        if not (
            category.requires("outlet")
            or category.requires("press_card_number")
            or category.requires("press_card_file")
        ):
            for name in ("outlet", "press_card_number", "press_card_file"):
                del self.fields[name]


class SignInForm(forms.Form):
    email = EmailField(label=_("E-mail"), max_length=254)
