"""The policy pages, one module per subject: `policy` (list, detail, form, status change) and
`schedule` (premium payments and payouts); `sections` builds the detail page's cards of both.
urls.py imports the subject modules."""
