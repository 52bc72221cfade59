"""Backups that are proven: `pgship backup`, `verify-backup` and `restore`.

A backup is an archive written by `pg_dump` (custom format, one file, or directory format) and a
manifest JSON beside it. The manifest is written last, and only once the archive is complete and
readable, so a manifest on disk means a finished backup. It records the archive's sha256 and
size, the server and pg_dump versions, the migration head, and every table's exact row count and
the schema fingerprint, both read in the very snapshot the dump was taken in.

Modules, one job each:

* ``clients``  - find a pg_dump / pg_restore new enough for a server, and run them safely;
* ``options``  - backup options from the command line, the environment and pgship.yml;
* ``catalog``  - what a database holds: tables, row counts, roles, the migration head;
* ``manifest`` - the manifest file: naming, checksums, reading and writing;
* ``dump``     - `pgship backup`: snapshot, pg_dump, checks, atomic rename;
* ``prune``    - `--keep N`;
* ``archive``  - what `pg_restore --list` says an archive holds, and restoring one;
* ``verify``   - `pgship verify-backup`, with or without a restore test;
* ``restore``  - `pgship restore` into a target database.
"""
