"""Spreadsheets in and out: the import of clients with their policies from an .xlsx or .csv
file (upload, check, preview, confirm, import in a Celery task), the .xlsx exports of clients
and policies, and the nightly expiry of imports never confirmed. Mounted at /policies/import/
(URL namespace `imports`). Every file is written by `agentcrm.core.spreadsheets`.

- `models`: ImportJob (one per uploaded file) and ImportRowError (its row-level findings).
- `selectors`: import jobs scoped to their agent; what the exports read.
- `services`: upload, check, confirm, import, expire (the writes).
- `tasks`: the Celery tasks running the check and the import.
- `columns`: the accepted columns, their Chinese and English headers, value parsers.
- `reader`: opens .xlsx (streaming) and .csv (encoding detected) as rows of cell values.
- `rows`: checks rows a batch at a time: the client and policy rules, duplicates.
- `workbook`: the downloadable template and the .xlsx exports.
- `forms`, `views`, `urls`: the pages.

It reads and writes clients and policies through their apps; neither knows it.
"""
