"""Personal data that must not outlive its purpose (PIPL, 个人信息保护法).

It stands above every app whose rows hold a client's data, as handover does, so one place
knows them all:

- `export`: everything held about one client, as a zip of JSON files (the client's right to
  a copy); ID and policy numbers masked, as in every export.
- `services`: erasure of one client's personal data on request (`client_erase`) and the
  nightly purge of unconverted referral contacts past their retention
  (`referral_contacts_purge`), both through `clients_erase`, which blanks the personal
  fields, deletes the audit-history rows, and keeps the rows and figures the statistics
  count (stages, premiums, dates, kinds).
- `models.ErasureLog`: one row per erased client (who, when, why); exports go to the
  export log of agentcrm.core.
"""
