"""``python -m sfd_workflow`` runs the command line."""

from .cli import run

run()
