"""The after-sales pages' forms, one module per subject: `delivery`, `reviews`, `requests`."""
