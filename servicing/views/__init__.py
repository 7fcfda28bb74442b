"""The after-sales pages, one module per subject: `delivery`, `reviews`, `requests`."""
