"""Back-office forms of the program. They parse input; the rules live in :mod:`summit.program.services`,
and a service's field errors are put back on the form's fields (``apply_error``)."""

from __future__ import annotations

import re
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from summit.core.errors import SummitError, as_id
from summit.core.i18n import order_localized
from summit.program import services
from summit.program.models import LANGUAGE_CHOICES, LANGUAGE_CODES, Forum, Speaker
from summit.registration.models import Participant

MAX_SEATS = 1_000_000


class ServiceErrorsMixin:
    """Show a service error on the fields it names, or on the whole form."""

    def apply_error(self, error: SummitError) -> None:
        placed = False
        for item in error.errors or []:
            field = item.get("field")
            if field in self.fields:
                self.add_error(field, str(item.get("detail", "")))
                placed = True
        if not placed:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.detail)


def bilingual_label(obj) -> str:
    """How a forum, room or speaker is named in a choice list, in the viewer's language."""
    if isinstance(obj, Speaker):
        affiliation = obj.tr_affiliation
        return f"{obj.display_name} · {affiliation}" if affiliation else obj.display_name
    for name in ("tr_title", "tr_name"):
        value = getattr(obj, name, None)
        if value:
            return value
    return str(obj)


class EventObjectField(forms.ModelChoiceField):
    """A choice among the event's objects; an id no database could hold is just an invalid choice."""

    def label_from_instance(self, obj):
        return bilingual_label(obj)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if as_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class EventObjectsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return bilingual_label(obj)

    def _check_values(self, value):
        for item in value:
            if as_id(item) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class EventDateTimeField(forms.DateTimeField):
    """A date and time typed in the event's time zone (not the server's or the browser's)."""

    widget = LocalDateTimeInput

    def __init__(self, *, tz, **kwargs):
        self.tz = tz
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value, self.tz)
            return value.replace(tzinfo=None, second=0, microsecond=0)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            result = value
        else:
            try:
                result = datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if timezone.is_naive(result):
            result = timezone.make_aware(result, self.tz)
        return result


_SEPARATORS = re.compile(r"[\s,;]+")


class ParticipantsField(forms.Field):
    """Participants of one event, typed as e-mail addresses or ids (one per line, or separated by commas)."""

    def __init__(self, *, queryset, multiple: bool = True, **kwargs):
        self.queryset = queryset
        self.multiple = multiple
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})
            if multiple
            else forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Participant):
            return value.email
        if isinstance(value, list | tuple) and all(isinstance(v, Participant) for v in value):
            return "\n".join(p.email for p in value)
        return value

    def to_python(self, value):
        tokens = [t for t in _SEPARATORS.split(str(value or "").strip()) if t]
        if not self.multiple and len(tokens) > 1:
            raise ValidationError(_("Enter one participant only."), code="too_many")
        ids, emails, unreadable = [], [], []
        for token in tokens:
            if "@" in token:
                emails.append(token.lower())
            elif (pk := as_id(token)) is not None:
                ids.append(pk)
            else:
                unreadable.append(token)
        found = list(self.queryset.filter(Q(pk__in=ids) | Q(email__in=emails))) if ids or emails else []
        by_key = {p.pk: p for p in found} | {p.email: p for p in found}
        unknown = unreadable + [t for t in tokens if t not in unreadable and self._lookup(by_key, t) is None]
        if unknown:
            raise ValidationError(
                _("Not a participant of this event: %(values)s."),
                code="unknown",
                params={"values": ", ".join(unknown[:10])},
            )
        chosen = []
        for token in tokens:
            participant = self._lookup(by_key, token)
            if participant not in chosen:
                chosen.append(participant)
        if self.multiple:
            return chosen
        return chosen[0] if chosen else None

    @staticmethod
    def _lookup(by_key, token):
        return by_key.get(token.lower()) if "@" in token else by_key.get(as_id(token))

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


def _text(label, *, max_length=200, required=False, **kwargs):
    return forms.CharField(label=label, max_length=max_length, required=required, **kwargs)


def _long_text(label, **kwargs):
    return forms.CharField(
        label=label, required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), **kwargs
    )


# --- forums ---------------------------------------------------------------------------------------------------


class ForumForm(ServiceErrorsMixin, forms.Form):
    title_en = _text(_("Title (English)"), required=True)
    title_zh = _text(_("Title (Chinese)"))
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=60,
        required=False,
        help_text=_(
            "Letters, digits and “-”, used in addresses. Left empty, it is made from the English title."
        ),
    )
    description_en = _long_text(_("Description (English)"))
    description_zh = _long_text(_("Description (Chinese)"))
    topic = forms.ChoiceField(label=_("Topic"), choices=Forum.TOPIC_CHOICES, initial="other")
    host_organization = EventObjectField(
        label=_("Host organization"), queryset=None, required=False, empty_label=_("None")
    )
    room = EventObjectField(label=_("Room"), queryset=None, required=False, empty_label=_("None"))
    moderators = ParticipantsField(
        label=_("Moderators"),
        queryset=Participant.objects.none(),
        required=False,
        help_text=_("E-mail addresses (or ids) of participants of this event, one per line."),
    )
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        required=False,
        help_text=_("Forums are listed by this number, smallest first."),
    )

    def __init__(self, *args, event, forum: Forum | None = None, **kwargs):
        self.event = event
        self.forum = forum
        if forum is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title_en": forum.title_en,
                    "title_zh": forum.title_zh,
                    "slug": forum.slug,
                    "description_en": forum.description_en,
                    "description_zh": forum.description_zh,
                    "topic": forum.topic,
                    "host_organization": forum.host_organization_id,
                    "room": forum.room_id,
                    "moderators": list(forum.moderators.all()),
                    "order": forum.order,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["host_organization"].queryset = event.organizations.all()
        self.fields["room"].queryset = order_localized(event.rooms.all())
        self.fields["moderators"].queryset = Participant.objects.filter(event=event)
        if forum is None:
            self.fields["order"].initial = Forum.objects.filter(event=event).count()

    def _auto_slug(self, title: str) -> str:
        base = slugify(title)[:50].strip("-") or "forum"
        taken = set(
            Forum.objects.filter(event=self.event, slug__startswith=base).values_list("slug", flat=True)
        )
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        return slug

    def service_data(self) -> dict:
        # The service's field list; the address (slug) and the order are filled in below.
        data = {
            name: self.cleaned_data[name] for name in services.FORUM_FIELDS if name not in ("slug", "order")
        }
        data["title_en"] = data["title_en"].strip()
        slug = self.cleaned_data.get("slug") or ""
        if slug:
            data["slug"] = slug
        elif self.forum is None:
            data["slug"] = self._auto_slug(data["title_en"])
        if self.cleaned_data.get("order") is not None:
            data["order"] = self.cleaned_data["order"]
        return data


# --- sessions -------------------------------------------------------------------------------------------------


class SessionForm(ServiceErrorsMixin, forms.Form):
    forum = EventObjectField(label=_("Forum"), queryset=None)
    title_en = _text(_("Title (English)"), required=True)
    title_zh = _text(_("Title (Chinese)"))
    abstract_en = _long_text(_("Abstract (English)"))
    abstract_zh = _long_text(_("Abstract (Chinese)"))
    start = EventDateTimeField(label=_("Start"), tz=None)
    end = EventDateTimeField(label=_("End"), tz=None)
    room = EventObjectField(label=_("Room"), queryset=None, required=False, empty_label=_("None"))
    capacity = forms.IntegerField(
        label=_("On-site seats"),
        max_value=MAX_SEATS,
        initial=0,
        widget=forms.NumberInput(attrs={"min": 0, "step": 1}),
        help_text=_("0 means the session is online only."),
    )
    online = forms.BooleanField(label=_("Online places offered"), required=False, initial=True)
    online_limit = forms.IntegerField(
        label=_("Online limit"),
        max_value=MAX_SEATS,
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "step": 1}),
        help_text=_("Leave empty for no limit."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interpretation = forms.BooleanField(label=_("Interpretation available"), required=False)

    FIELDS = services.SESSION_FIELDS

    def __init__(self, *args, event, session=None, **kwargs):
        if session is not None:
            kwargs.setdefault(
                "initial",
                {name: getattr(session, name) for name in self.FIELDS if name not in ("forum", "room")}
                | {"forum": session.forum_id, "room": session.room_id},
            )
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = event.forums.all()
        self.fields["room"].queryset = order_localized(event.rooms.all())
        hint = _("In the event's time zone (%(tz)s).") % {"tz": event.tr_time_zone_inline}
        for name in ("start", "end"):
            self.fields[name].tz = event.tz
            self.fields[name].help_text = hint

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.FIELDS}
        data["title_en"] = (data["title_en"] or "").strip()
        chosen = set(data["languages"] or [])
        data["languages"] = [code for code in LANGUAGE_CODES if code in chosen]
        return data


class CancelSessionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


# --- speakers -------------------------------------------------------------------------------------------------


class SpeakerForm(ServiceErrorsMixin, forms.Form):
    participant = ParticipantsField(
        label=_("Participant"),
        queryset=Participant.objects.none(),
        multiple=False,
        required=False,
        help_text=_("E-mail address or id of a participant of this event; empty for an external speaker."),
    )
    name = _text(
        _("Name"), help_text=_("In the speaker's own script. Left empty, the participant's name is used.")
    )
    name_latin = _text(
        _("Name (Latin letters)"),
        help_text=_(
            "As in the passport. Left empty, a name in Latin, Cyrillic, Greek or Chinese characters is spelled "
            "automatically; a name in another script is shown without a Latin form."
        ),
    )
    affiliation = _text(_("Affiliation (English)"))
    affiliation_zh = _text(_("Affiliation (Chinese)"))
    bio_en = _long_text(_("Biography (English)"))
    bio_zh = _long_text(_("Biography (Chinese)"))
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"), required=False)
    remote = forms.BooleanField(label=_("Speaks remotely"), required=False)

    FIELDS = services.SPEAKER_FIELDS

    def __init__(self, *args, event, speaker=None, **kwargs):
        if speaker is not None:
            kwargs.setdefault(
                "initial", {name: getattr(speaker, name) for name in self.FIELDS if name != "participant"}
            )
            kwargs["initial"].setdefault("participant", speaker.participant)
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(event=event)

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.FIELDS}
        for name in ("name", "name_latin", "affiliation", "affiliation_zh", "bio_en", "bio_zh"):
            data[name] = (data[name] or "").strip()
        return data


# --- talks ----------------------------------------------------------------------------------------------------


class TalkForm(ServiceErrorsMixin, forms.Form):
    title_en = _text(_("Title (English)"), required=True)
    title_zh = _text(_("Title (Chinese)"))
    minutes = forms.IntegerField(
        label=pgettext_lazy("length of a talk", "Minutes"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 1440, "step": 1}),
    )
    speakers = EventObjectsField(
        label=_("Speakers"),
        queryset=None,
        required=False,
        help_text=_("Hold Ctrl (or ⌘) to choose more than one."),
    )

    def __init__(self, *args, event, talk=None, **kwargs):
        if talk is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title_en": talk.title_en,
                    "title_zh": talk.title_zh,
                    "minutes": talk.minutes,
                    "speakers": [s.pk for s in talk.speakers.all()],
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["speakers"].queryset = event.speakers.all()
        self.fields["speakers"].widget.attrs["size"] = 5

    def service_data(self) -> dict:
        return {
            "title_en": self.cleaned_data["title_en"].strip(),
            "title_zh": self.cleaned_data.get("title_zh", "").strip(),
            "minutes": self.cleaned_data.get("minutes"),
        }
