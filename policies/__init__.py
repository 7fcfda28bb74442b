"""Insurance policies: the contract (insurer, policy, status history) and the rows dated
against it (riders, beneficiaries, premium payments, payouts), with the policy pages under
/policies/ (URL namespace `policies`).

Each layer has the same subject modules, `policy` and `schedule`: models/, selectors/,
services/, forms/ and views/ (`views.sections` builds the detail page's cards); `dates` holds
the date rules (anniversaries, premium dues, grace, cooling-off, payout dates). Also:
`occasions` (the policy touch kinds), `panels` (the client page's policies panel), `admin`.

The after-sales work (delivery, annual review, service requests) is the servicing app, the
spreadsheet import and exports the spreadsheets app: both import policies, never the other
way round (but for `demo`, the demo data, which writes service requests and reviews too).
Their pieces of the policy page and of the policies namespace are joined through
`touches.registry` (policy-page parts) and the root URLconf.
"""
