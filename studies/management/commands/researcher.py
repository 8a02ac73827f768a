from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from studies.researchers import DEMO_RESEARCHER, researcher_ensure, researcher_password_new

LOGIN_FILE = "researcher-login.txt"


class Command(BaseCommand):
    help = (
        "Make sure a researcher login exists (staff, in the Researchers group) and print it. "
        "A new researcher gets a password, printed once; an existing one keeps theirs "
        "unless --reset is given. The demo researcher's login is also kept in "
        "$VAR_DIR/researcher-login.txt (readable by you alone), which `make run` prints."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default=DEMO_RESEARCHER)
        parser.add_argument("--email", default="")
        parser.add_argument("--reset", action="store_true", help="give them a new password")

    def handle(self, *args, username: str, email: str, reset: bool, **options):
        user, created = researcher_ensure(username=username, email=email)
        demo = username == DEMO_RESEARCHER
        saved = Path(settings.VAR_DIR) / LOGIN_FILE
        password = None
        if created or reset or not user.has_usable_password():
            password = researcher_password_new(user)
            if demo:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(f"{username} {password}\n", encoding="utf-8")
                saved.chmod(0o600)
        elif demo and saved.is_file():
            # `make run` prints the demo login on every start: the one it kept, if valid.
            name, _, kept = saved.read_text(encoding="utf-8").strip().partition(" ")
            if name == username and user.check_password(kept):
                password = kept
        if password:
            self.stdout.write(f"Researcher login: {username} / {password}")
        else:
            self.stdout.write(
                f"Researcher login: {username} (password unchanged; "
                f"a new one with: manage.py researcher {username} --reset)"
            )
