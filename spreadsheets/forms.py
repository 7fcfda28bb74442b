"""The import pages' forms: the upload and the confirmation after the preview."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx or .xls) or a CSV file, up to %(size)s MB."
        ) % {"size": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}


class ImportConfirmForm(forms.Form):
    ALL, VALID = "all", "valid"
    mode = forms.ChoiceField(
        choices=[(ALL, _("Import every row")), (VALID, _("Import only the valid rows"))],
        widget=forms.RadioSelect,
    )
