from django.contrib import admin

from therapy.models import Counselor, Practice

# Practices and counselors are managed by the people who run the service (superusers), through
# Django's model permissions; counselors have none of those permissions.


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]


@admin.register(Counselor)
class CounselorAdmin(admin.ModelAdmin):
    list_display = ["__str__", "practice", "role"]
    list_select_related = ["user", "practice"]
    list_filter = ["role", "practice"]
    autocomplete_fields = ["user"]
