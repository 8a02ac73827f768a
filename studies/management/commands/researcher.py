from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from studies.researchers import researcher_ensure

LOGIN_FILE = "researcher-login.txt"


class Command(BaseCommand):
    help = (
        "Make sure a researcher login exists (staff, in the Researchers group) and print it. "
        "A new password is written to $VAR_DIR/researcher-login.txt, readable by you alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="researcher")
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, email: str, **options):
        saved = Path(settings.VAR_DIR) / LOGIN_FILE
        _, password = researcher_ensure(username=username, email=email, with_password=True)
        if password:
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(f"{username} {password}\n", encoding="utf-8")
            saved.chmod(0o600)
        elif saved.is_file() and saved.read_text(encoding="utf-8").split()[0] == username:
            password = saved.read_text(encoding="utf-8").split()[1]
        if password:
            self.stdout.write(f"Researcher login: {username} / {password}")
        else:
            self.stdout.write(
                f"Researcher login: {username} (password unchanged; "
                f"reset it with: manage.py changepassword {username})"
            )
