from django.forms.renderers import TemplatesSetting


class ConfideFormRenderer(TemplatesSetting):
    """Every form shows its errors beside their fields, linked from the page's error summary."""

    form_template_name = "includes/form.html"
    field_template_name = "includes/field.html"
