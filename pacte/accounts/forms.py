"""Forms of the account pages: login, profile, two-factor codes, password reset.

Forms only check input; writes happen in pacte.accounts.services. Widgets carry the US Web Design
System classes; Django adds aria-invalid and aria-describedby (pointing at ``<id>_error`` and
``<id>_helptext``) itself, which accounts/includes/field.html renders.
"""

import re

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.forms.models import model_to_dict
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import User

CODE_RE = re.compile(r"^(?:\d{6}|[a-z2-7]{8})$")


class UswdsFormMixin:
    """Puts the USWDS classes on every widget, and the error variant on fields that have errors."""

    def _input_class(self, widget: forms.Widget) -> str:
        if isinstance(widget, forms.Select):
            return "usa-select"
        if isinstance(widget, forms.Textarea):
            return "usa-textarea"
        return "usa-input"

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            classes = [widget.attrs.get("class"), self._input_class(widget)]
            widget.attrs["class"] = " ".join(c for c in classes if c)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            field = self.fields.get(name)  # type: ignore[attr-defined]
            if field is not None:
                base = self._input_class(field.widget)
                field.widget.attrs["class"] += f" {base}--error"


class LoginForm(UswdsFormMixin, auth_forms.AuthenticationForm):
    """Django's AuthenticationForm: it passes the request to authenticate(), so axes counts failures."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _(
            "The user name or password is incorrect. Both are case-sensitive. "
            "After several failed attempts the account is locked for a while."
        ),
        "inactive": _("This account is inactive. Ask an administrator."),
    }

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


PROFILE_FIELDS = ["first_name", "last_name", "job_title", "phone", "language"]
_profile_fields = forms.fields_for_model(User, fields=PROFILE_FIELDS)


class ProfileForm(UswdsFormMixin, forms.Form):
    """What users may change about themselves. Organisation and e-mail are deliberately not here:
    the organisation decides what a user may see, and the e-mail receives password resets.

    A plain form (not a ModelForm) so that validating it never touches request.user; the service
    validates the model fields again before saving."""

    first_name = _profile_fields["first_name"]
    last_name = _profile_fields["last_name"]
    job_title = _profile_fields["job_title"]
    phone = _profile_fields["phone"]
    language = _profile_fields["language"]

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Each language in its own name ("Français", "English"), as in the language switcher.
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            (code, capfirst(translation.get_language_info(code)["name_local"]))
            for code, _name in settings.LANGUAGES
        ]

    @classmethod
    def for_user(cls, user: User) -> "ProfileForm":
        return cls(initial=model_to_dict(user, fields=PROFILE_FIELDS))


def normalise_code(value: str) -> str:
    """'123 456' → '123456'; backup codes are case-insensitive and may be typed with spaces or dashes."""
    return re.sub(r"[\s-]", "", value or "").lower()


class OtpCodeForm(UswdsFormMixin, forms.Form):
    """A 6-digit code from the authenticator app or, where allowed, an 8-character backup code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, allow_backup_code: bool = True, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.allow_backup_code = allow_backup_code
        if allow_backup_code:
            self.fields["code"].help_text = _(
                "The 6-digit code shown by your authenticator app, or one of your backup codes."
            )
        else:
            self.fields["code"].help_text = _("The 6-digit code shown by your authenticator app.")
            self.fields["code"].widget.attrs["inputmode"] = "numeric"

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not CODE_RE.match(code) or (not self.allow_backup_code and not code.isdigit()):
            raise forms.ValidationError(
                _("Enter the 6-digit code from your authenticator app, or an 8-character backup code.")
                if self.allow_backup_code
                else _("Enter the 6-digit code from your authenticator app."),
                code="format",
            )
        return code


class PasswordChangeForm(UswdsFormMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(UswdsFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordResetForm(UswdsFormMixin, auth_forms.PasswordResetForm):
    """Django's reset form; the e-mail is written in the recipient's preferred language."""

    def send_mail(  # type: ignore[no-untyped-def]
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        language = getattr(context.get("user"), "language", None) or translation.get_language()
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )
