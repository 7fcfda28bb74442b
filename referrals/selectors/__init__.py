"""Reads for referrals, one module per subject; callers import from the subject module.

- `access`: the scoping every read starts from (`*_for_user`, one per model, and the
  manager's team agents).
- `pages`: what the agent's referral pages show (list, asks, one referral, client panel).
- `analytics`: the agent's own analytics (the chain under a client, influence centres,
  conversion by source); a package: `chain`, `influence`, `sources`, `premium`.
- `team`: the manager's team statistics and drill-down.
- `chains`: the recursive SQL that walks referral chains.
"""
