from django.db import migrations, models
from django.db.models import Q


def map_from_stored_scores(apps, schema_editor):
    """Adds the interdependence map to the scores stored at each submission, worked out from
    the subscale scores stored then (nothing is scored again), and keeps its position as a
    column, as a submission now does."""
    from worksheets.interdependence import map_figures

    Response = apps.get_model("worksheets", "Response")
    changed = []
    for response in Response.objects.filter(status="submitted").only("pk", "scores").iterator():
        figures = map_figures(response.scores.get("subscales", []))
        if figures is None:
            continue
        response.scores = {**response.scores, "map": figures.as_dict()}
        response.map_position = figures.position
        changed.append(response)
    Response.objects.bulk_update(changed, ["scores", "map_position"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("worksheets", "0010_encrypted_answers")]

    operations = [
        migrations.RemoveIndex(model_name="response", name="response_latest_lean"),
        migrations.RenameField(model_name="response", old_name="lean", new_name="map_position"),
        migrations.RunSQL("UPDATE worksheets_response SET map_position = ''", migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=Q(status="submitted") & ~Q(map_position=""),
                fields=["partner", "-submitted_at"],
                name="response_latest_map_position",
            ),
        ),
        migrations.RunPython(map_from_stored_scores, migrations.RunPython.noop),
    ]
