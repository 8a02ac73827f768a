"""`make run`'s foreground process: the web server and one Celery worker (with the
maintenance schedule, Celery beat, embedded), started and stopped together. Ctrl-C (or
SIGTERM) stops both; if either exits, the other is stopped."""

import argparse
import os
import signal
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    python = sys.executable
    commands = {
        "web": [python, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload"],
        # -B: the worker runs the maintenance schedule too (Celery beat; one worker only).
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "-B",
        ],
    }
    children = {name: subprocess.Popen(command) for name, command in commands.items()}

    def stop(*_):
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.3)
    finally:
        stop()
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [name for name, child in children.items() if child.returncode not in (0, -2, 1)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
