"""The policy pages' forms, one module per subject: `policy` and `schedule`."""
