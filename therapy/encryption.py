"""Encryption at rest for answers, counselors' notes and partners' contact details.

Values are encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag) under the keys in
`FIELD_ENCRYPTION_KEYS`: the first key encrypts, every key listed decrypts, so keys are
rotated by putting a new key first, running `manage.py reencrypt`, then dropping the old key
(docs/privacy.md, "Encryption at rest").

An encrypted column cannot be searched, so the fields refuse every lookup but `isnull`. Where
a row must be found by its value (a partner by e-mail address or phone number) the model keeps
a keyed digest beside it, made by `lookup_digest`.

Dashboard figures never need the encrypted text: scores, the preferred balance and the map
position are stored in plain columns at submission.
"""

import functools
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.apps import apps
from django.conf import settings
from django.core import validators
from django.core.exceptions import FieldError
from django.core.signals import setting_changed
from django.db import connection, models, transaction
from django.dispatch import receiver

# Marks a stored value as encrypted. Rows written before encryption was turned on have no
# prefix; they are read as they are until the migration or `reencrypt` encrypts them.
PREFIX = "fernet:"


class DecryptionError(Exception):
    """A stored value that none of the configured keys can decrypt."""


@functools.cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


@receiver(setting_changed)
def _forget_keys(setting, **kwargs):
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


def encrypt(text: str) -> str:
    return PREFIX + _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as error:
        raise DecryptionError(
            "A stored value could not be decrypted: the key that encrypted it is not in "
            "FIELD_ENCRYPTION_KEYS."
        ) from error


def is_encrypted_with_current_key(stored: str) -> bool:
    """True if `stored` is encrypted, and with the first (current) key."""
    if not stored.startswith(PREFIX):
        return False
    current = Fernet(settings.FIELD_ENCRYPTION_KEYS[0])
    try:
        current.decrypt(stored[len(PREFIX) :].encode("ascii"))
    except InvalidToken:
        return False
    return True


def lookup_digest(value: str) -> str:
    """A keyed digest of `value`, to find a row by a value that is stored encrypted.
    Empty for an empty value, so that rows without one never match each other."""
    if not value:
        return ""
    key = settings.FIELD_LOOKUP_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def email_digest(email: str) -> str:
    """The digest that finds an e-mail address whatever its case or surrounding spaces."""
    return lookup_digest(email.strip().lower())


def contact_digests(email: str, phone: str) -> dict[str, str]:
    """The digests kept beside a partner's encrypted e-mail address and phone number (in
    E.164 form, as stored)."""
    return {"email_digest": email_digest(email), "phone_digest": lookup_digest(phone)}


class EncryptedMixin:
    """Stores the field's text encrypted; reads it back decrypted."""

    def get_internal_type(self):
        return "TextField"

    def to_stored_text(self, value) -> str:
        return str(value)

    def from_stored_text(self, text: str):
        return text

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.from_stored_text(decrypt(value))

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        return encrypt(self.to_stored_text(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is stored encrypted and cannot be searched "
            f"with '{lookup_name}'. Search a digest kept beside it (therapy.encryption)."
        )

    def get_transform(self, lookup_name):
        return None


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedCharField(EncryptedMixin, models.TextField):
    """Short text, entered on one line, stored encrypted (so with no length in the database:
    `max_length` is checked when the value is validated)."""

    def __init__(self, *args, max_length=None, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        if max_length is not None:
            self.validators.append(validators.MaxLengthValidator(max_length))

    def formfield(self, **kwargs):
        return super().formfield(
            **{"widget": forms.TextInput, "max_length": self.max_length, **kwargs}
        )


class EncryptedEmailField(EncryptedCharField):
    default_validators = [validators.validate_email]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": forms.EmailField, "widget": forms.EmailInput, **kwargs}
        )


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON value (a dict of answers, say) stored as encrypted JSON text."""

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        return value

    def to_stored_text(self, value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def from_stored_text(self, text: str):
        return json.loads(text)

    def value_to_string(self, obj):
        return self.value_from_object(obj)

    def formfield(self, **kwargs):
        return models.Field.formfield(self, **{"form_class": forms.JSONField, **kwargs})


def rewrite_rows(model: type[models.Model], field_names: list[str], batch_size: int = 500) -> int:
    """Reads back and writes again every row's encrypted fields: rows stored before
    encryption are encrypted, the others re-encrypted under the current (first) key, and the
    contact digests are worked out again under the current lookup key. Returns the rows
    written. Used by the migrations that turned encryption on and by `manage.py reencrypt`."""
    manager = model._base_manager
    has_digests = {"email_digest", "phone_digest"} <= {f.name for f in model._meta.fields}
    pks = list(manager.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        batch = pks[start : start + batch_size]
        with transaction.atomic():
            for row in manager.filter(pk__in=batch).only(*field_names).select_for_update():
                values = {name: getattr(row, name) for name in field_names}
                if has_digests:
                    values.update(contact_digests(values["email"], values["phone"]))
                manager.filter(pk=row.pk).update(**values)
    return len(pks)


def store_rows_in_plain(model: type[models.Model], field_names: list[str]) -> None:
    """Writes every row's encrypted fields back as plain text: the way back of the migrations
    that turned encryption on."""
    fields = [model._meta.get_field(name) for name in field_names]
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for row in model._base_manager.only(*field_names).iterator():
            for field in fields:
                value = getattr(row, field.attname)
                plain = None if value is None else field.to_stored_text(value)
                column = connection.ops.quote_name(field.column)
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s",  # noqa: S608
                    [plain, row.pk],
                )


def migration_operations(app_label: str, fields_by_model: dict[str, list[str]]):
    """The data step of a migration that turns encryption on for `fields_by_model`."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        for model_name, names in fields_by_model.items():
            rewrite_rows(apps.get_model(app_label, model_name), names)

    def backwards(apps, schema_editor):
        for model_name, names in fields_by_model.items():
            store_rows_in_plain(apps.get_model(app_label, model_name), names)

    return migrations.RunPython(forwards, backwards)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, the change-history models included, with the
    names of those fields."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]
        if names:
            found.append((model, names))
    return found
