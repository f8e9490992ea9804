"""Backup and restore of a cell (docs/backup.md).

`take_backup` writes one archive of a live cell, read in one database snapshot, with its
data directory's files; `restore` loads one into an empty data directory and database and
commits only what verifies; `check_backup` does all of a restore's checks into a
throw-away database. Archives are database-neutral: SQLite to PostgreSQL and back.
"""

from fusioncell.backup.archive import ArchiveError
from fusioncell.backup.restore import RestoreReport, check_backup, restore
from fusioncell.backup.take import BackupReport, take_backup
from fusioncell.backup.verify import VerificationFailed

__all__ = [
    "ArchiveError",
    "BackupReport",
    "RestoreReport",
    "VerificationFailed",
    "check_backup",
    "restore",
    "take_backup",
]
