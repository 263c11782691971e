from django.conf import settings
from django.db import models

from therapy.timezones import validate_time_zone


class Practice(models.Model):
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Counselor(models.Model):
    class Role(models.TextChoices):
        COUNSELOR = "counselor", "Counselor"
        PRACTICE_ADMIN = "practice_admin", "Practice admin"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counselor"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="counselors")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COUNSELOR)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def is_practice_admin(self) -> bool:
        return self.role == self.Role.PRACTICE_ADMIN
