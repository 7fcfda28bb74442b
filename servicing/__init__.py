"""After-sales work on a policy: its delivery (递交保单, the deck's checklist), the
household's annual review (年度保单检查), and service requests, i.e. servicing (保全) and
claims (理赔) with their documents and status timeline.

Each layer has the same subject modules, `delivery`, `reviews` and `requests`: models/,
selectors/, services/, forms/ and views/. Also:

- `occasions`: the claim and servicing follow-up touch kinds (found by the touch engine);
- `panels`: the reviews panel of the client page and the cards of the policy page
  (registered in `apps.py`);
- `urls`: the request pages at /service-requests/ (namespace `service_requests`);
  `urls_policies`: the delivery and review pages, joined to the `policies` namespace under
  /policies/ by the root URLconf;
- `admin`: service requests, their documents and timeline.

The models came from the policies app and keep its tables; the templates keep their paths
under templates/policies/ (`policies/requests/…`, `policies/delivery.html`,
`policies/review_*.html`, …). This app may import clients and policies; they import nothing
of it.
"""
