from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from studies.import_media import media_source_open
from studies.importing import ImportFailed, samples_import
from studies.models import Study
from studies.services import StudyConflict


class Command(BaseCommand):
    help = (
        "Import samples into a draft study from CSV or JSONL (columns: group, text or file, "
        "brief, kind, id, attention, expected, meta_*). All or nothing: on any error nothing "
        "is stored and every error is listed with its file, line and field."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's slug")
        parser.add_argument("file", type=Path, help="samples .csv or .jsonl")
        parser.add_argument("--media", type=Path, help="folder or ZIP holding the files")

    def handle(self, *args, study: str, file: Path, media: Path | None, **options):
        found = Study.objects.filter(slug=study).first()
        if found is None:
            raise CommandError(f"no study '{study}'")
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        source = None
        try:
            if media is not None:
                source = media_source_open(media)
            report = samples_import(
                study=found, file_name=file.name, data=file.read_bytes(), media=source
            )
        except ImportFailed as failure:
            raise CommandError(f"nothing was imported:\n{failure}") from failure
        except (StudyConflict, ValidationError) as error:
            raise CommandError(str(error)) from error
        finally:
            if source is not None:
                source.close()
        self.stdout.write(report.summary())
        for warning in report.warnings:
            self.stdout.write(f"check blinding: {warning}")
