"""Reading and checking client/policy spreadsheets. The services in
`policies.services.importing` drive these; nothing here writes to the database.

- `columns`: the accepted columns, their Chinese and English headers, value parsers.
- `reader`: opens .xlsx (streaming) and .csv (encoding detected) as rows of cell values.
- `rows`: checks rows a batch at a time: the client and policy rules, duplicates.
- `workbook`: the downloadable template and the .xlsx exports.
"""
