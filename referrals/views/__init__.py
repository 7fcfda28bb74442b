"""The referral pages, one module per audience; the URLconfs import the subject module.

- `agent`: the agent's referrals, asks and one referral's page (/referrals/).
- `analytics`: the agent's own analytics: the chain under a client, influence centres,
  conversion by source.
- `team`: the manager's team statistics, their export and one agent's list (/team/referrals/).
"""
