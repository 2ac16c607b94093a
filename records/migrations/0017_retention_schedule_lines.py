"""The retention schedule's lines (records.retention), each with its source. A later change is a
migration like this one, or the Lead's with a reason."""

from django.db import migrations

LINES = [
    (
        "child_protection",
        "Child-protection file (entries at child-protection level, and child-protection actions)",
        "birth",
        25,
        0,
        "Until the child's 25th birthday (IRMS schools toolkit; older guidance says 24).",
    ),
    (
        "accident_injury",
        "Accident and injury records",
        "birth",
        21,
        3,
        "Until the child is 21 years and 3 months old (Limitation Act 1980: three years after the "
        "18th birthday, plus a margin).",
    ),
    (
        "general",
        "General records of a child (the file, consent and sharing records with it)",
        "leaving",
        3,
        0,
        '3 years after the child leaves: the EYFS asks for "a reasonable period" after leaving; '
        "3 years is common early-years practice.",
    ),
    (
        "staff_personnel",
        "Staff personnel files",
        "employment_end",
        6,
        0,
        "6 years after employment ends (common practice; IRMS toolkit).",
    ),
    (
        "dbs_copy",
        "A copy of a DBS certificate (its number and date stay on the personnel file)",
        "made",
        0,
        6,
        "6 months; the certificate's number and date stay on the personnel file (DBS guidance, "
        "as commonly applied).",
    ),
    (
        "subject_access",
        "Subject-access files and released copies",
        "closed",
        1,
        0,
        "1 year after the request is closed: the setting's choice, for a complaint to the ICO.",
    ),
]


def add_lines(apps, schema_editor):
    rule = apps.get_model("records", "RetentionRule")
    for code, applies_to, anchor, years, months, source in LINES:
        rule.objects.update_or_create(
            code=code,
            defaults={
                "applies_to": applies_to,
                "anchor": anchor,
                "years": years,
                "months": months,
                "source": source,
            },
        )


def remove_lines(apps, schema_editor):
    apps.get_model("records", "RetentionRule").objects.filter(
        code__in=[line[0] for line in LINES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("records", "0016_retention_schedule")]

    operations = [migrations.RunPython(add_lines, remove_lines)]
