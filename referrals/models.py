"""Referrals: who referred whom, each ask for names, and every step of a referred prospect.

A referral is an edge of a chain: a referrer (a client, or a prospect referred in turn) and a
referred person, who is one record in the client archive. A person is referred at most once
(`referred` is one-to-one), so the chains form trees and a cycle can only appear when a
person would become their own ancestor, which `referral_create` refuses.

`depth` (1 for a referrer who was not referred themself) is stored when the edge is made:
edges never move, so it never goes stale, and "deepest chain" is a plain MAX().

Beside the models: the choices (Context, RefusalReason, Stage, Relationship) and the stage
sets the services and pages share (FEEDBACK_STAGES, CLOSED_STAGES, STAGE_ORDER).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agentcrm.core.models import StatusChange
from agentcrm.core.transitions import allowed_next
from clients.models import Client


class Context(models.TextChoices):
    """Where the names were given (转介绍的时机)."""

    DELIVERY = "delivery", _("Policy delivery receipt")
    ANNUAL_REVIEW = "annual_review", _("Annual review")
    SERVICE_VISIT = "service_visit", _("Service visit")
    EVENT = "event", _("Event")
    OTHER = "other", _("Other")


class RefusalReason(models.TextChoices):
    """The deck's reasons a client gives no names (客户不愿转介绍的原因)."""

    BOTHER_FRIENDS = "bother_friends", _("Afraid of bothering friends")
    FINANCES_PRIVATE = "finances_private", _("Finances are private")
    GOSSIP = "gossip", _("Doesn't want to seem a gossip")
    JUDGING_INCOME = "judging_income", _("Feels it judges friends by income")
    NOT_SERIOUS = "not_serious", _("Doesn't take it seriously")
    TRUSTS_PRODUCT = "trusts_product", _("Trusts the product, not the agent")
    AGENT_QUIT = "agent_quit", _("Fears the agent will quit")
    NOTHING_IN_IT = "nothing_in_it", _("Sees nothing in it for them")
    NO_ONE = "no_one", _("Can't think of anyone")
    OTHER = "other", _("Other")


class ReferralRequest(models.Model):
    """One ask for referrals (the deck's six steps), whether it gave names or not."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="referral_requests",
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client asked"),
        on_delete=models.CASCADE,
        related_name="referral_requests",
    )
    asked_on = models.DateField(_("asked on"))
    context = models.CharField(_("context"), max_length=16, choices=Context, default=Context.OTHER)
    policy = models.ForeignKey(
        "policies.Policy",
        verbose_name=_("policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral_requests",
    )
    # Kept with the row so the team's "names per request" is a SUM, not a join per request.
    names_given = models.PositiveSmallIntegerField(_("names given"), default=0)
    refusal_reason = models.CharField(
        _("reason for no names"), max_length=20, choices=RefusalReason, blank=True
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("referral request")
        verbose_name_plural = _("referral requests")
        ordering = ["-asked_on", "-id"]
        indexes = [models.Index(fields=["owner", "asked_on"], name="refrequest_owner_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(names_given__gt=0) | ~Q(refusal_reason=""),
                name="refrequest_names_or_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.asked_on}"


class Stage(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    MET = "met", _("Met")
    PROPOSAL = "proposal", _("Proposal")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


# Stage changes the referrer must hear about (转介绍后一定要给介绍人反馈).
FEEDBACK_STAGES = (Stage.CONTACTED, Stage.MET, Stage.WON, Stage.LOST)
CLOSED_STAGES = (Stage.WON, Stage.LOST)
# The usual way forward (the referral page offers the next one first).
STAGE_ORDER = [Stage.NEW, Stage.CONTACTED, Stage.MET, Stage.PROPOSAL, Stage.WON]


class Relationship(models.TextChoices):
    FRIEND = "friend", _("Friend")
    RELATIVE = "relative", _("Relative")
    COLLEAGUE = "colleague", _("Colleague")
    CLASSMATE = "classmate", _("Classmate")
    NEIGHBOUR = "neighbour", _("Neighbour")
    BUSINESS = "business", _("Business contact")
    OTHER = "other", _("Other")


class ContactBasis(models.TextChoices):
    """Where the referred person's contact details came from (PIPL: the basis for holding
    them). A referrer giving a friend's phone is the usual case, without the friend's consent:
    such details are purged after REFERRAL_CONTACT_RETENTION_DAYS unless the referral is won
    (privacy.retention)."""

    REFERRER = "referrer", _("Given by the referrer")
    PERSON = "person", _("Given by the person themself")


class Referral(models.Model):
    # Where a stage may go next (see referral_stage_change): any other stage, out of lost too,
    # until won, which closes the referral for good.
    TRANSITIONS = {
        stage: set() if stage == Stage.WON else {s for s in Stage.values if s != stage}
        for stage in Stage.values
    }

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    referrer = models.ForeignKey(
        Client,
        verbose_name=_("referrer"),
        # A referrer with referrals keeps the chain: archive them instead of deleting.
        on_delete=models.PROTECT,
        related_name="referrals_made",
    )
    referred = models.OneToOneField(
        Client,
        verbose_name=_("referred person"),
        on_delete=models.CASCADE,
        related_name="referral",
    )
    request = models.ForeignKey(
        ReferralRequest,
        verbose_name=_("referral request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
    )
    relationship = models.CharField(
        _("relationship to the referrer"), max_length=16, choices=Relationship
    )
    reason = models.CharField(_("why the referrer thought of them"), max_length=500, blank=True)
    given_on = models.DateField(_("date given"))
    context = models.CharField(_("context"), max_length=16, choices=Context, default=Context.OTHER)
    depth = models.PositiveSmallIntegerField(_("depth in the chain"), default=1)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage, default=Stage.NEW)
    stage_changed_at = models.DateTimeField(_("stage changed"))
    # First time the prospect reached each point: the team figures count them with no join.
    contacted_at = models.DateTimeField(_("first contacted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    won_policy = models.ForeignKey(
        "policies.Policy",
        verbose_name=_("first policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lost_reason = models.CharField(_("why it was lost"), max_length=255, blank=True)
    thanked_at = models.DateTimeField(_("referrer thanked"), null=True, blank=True)
    # The basis for holding the referred person's contact details (filled by the services).
    contact_basis = models.CharField(
        _("contact details from"),
        max_length=16,
        choices=ContactBasis,
        default=ContactBasis.REFERRER,
    )
    contact_given_at = models.DateTimeField(_("contact details given"), null=True, blank=True)
    privacy_reassured = models.BooleanField(_("privacy reassurance given"), default=False)
    # When the retention purge removed the referred person's details (the counts stay).
    contact_purged_at = models.DateTimeField(_("contact details purged"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-given_on", "-id"]
        indexes = [
            # With the referrer: the team page's top referrers of a period are counted from
            # this index alone (an index-only scan on PostgreSQL), not from the wide rows.
            models.Index(fields=["owner", "given_on", "referrer"], name="referral_owner_given_ref"),
            models.Index(fields=["owner", "stage"], name="referral_owner_stage"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(referrer=models.F("referred")), name="referral_not_self"
            ),
            models.CheckConstraint(
                condition=~Q(stage="won") | Q(closed_at__isnull=False),
                name="referral_won_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.referred}"

    def allowed_next_stages(self) -> list[str]:
        """The stages the prospect may move to now, in the order of Stage."""
        return allowed_next(self.TRANSITIONS, self.stage, Stage)


class ReferralStageChange(StatusChange):
    """A step of the prospect, and whether the referrer heard about it in time. `note` comes
    from StatusChange; the step's fields keep their stage names (and columns)."""

    FROM_FIELD = "from_stage"
    TO_FIELD = "to_stage"
    AT_FIELD = "changed_at"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="stage_history")
    # Denormalised from the referral so the compliance figure reads one table.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_stage = models.CharField(_("from"), max_length=16, choices=Stage, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=Stage)
    changed_at = models.DateTimeField(_("changed"))
    # Declared as it always was here (no verbose name, not blank), not as StatusChange's.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Set for the stages the referrer must hear about; reported_at is when they did.
    feedback_due = models.DateField(_("report back by"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported back"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["owner", "feedback_due"], name="refstage_owner_due"),
            models.Index(
                fields=["feedback_due"],
                name="refstage_feedback_open",
                condition=Q(feedback_due__isnull=False, reported_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.from_stage}→{self.to_stage}"

    @property
    def reported_on_time(self) -> bool | None:
        if self.feedback_due is None or self.reported_at is None:
            return None
        from django.utils import timezone

        return timezone.localdate(self.reported_at) <= self.feedback_due


# --- The team figures kept by month (referrals.summary) -----------------------------------------


class ReferralMonth(models.Model):
    """One agent's team-page figures for one calendar month, kept by the nightly run
    (`referrals.summary.referral_months_build`) so a period of whole past months sums a few
    rows instead of every referral. Every field adds up over months (sums, and `deepest` a
    MAX), so a period's figure is the sum (or max) of its months'. Cohorts as on the page:
    referrals and requests by the month given / asked, feedback by the month of its deadline."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the month's first day
    requests = models.PositiveIntegerField(default=0)
    names = models.PositiveIntegerField(default=0)
    refusals = models.PositiveIntegerField(default=0)
    # {refusal reason: requests with no names}; "" counted as "other", as on the page.
    refusals_by_reason = models.JSONField(default=dict)
    received = models.PositiveIntegerField(default=0)
    contacted = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    deepest = models.PositiveSmallIntegerField(default=0)
    feedback_on_time = models.PositiveIntegerField(default=0)
    feedback_owed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "month"], name="referralmonth_owner_month")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.month:%Y-%m}"


class ReferralMonthBuild(models.Model):
    """When a month's rows were last rebuilt for every agent. The page reads a month's rows
    only when they were built after the month ended and after any change to it
    (`ReferralMonthChange`)."""

    month = models.DateField(unique=True)
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.built_at}"


class ReferralMonthChange(models.Model):
    """The last time a write touched a past month's figures of an agent (a step of a prospect
    given that month, a report-back due that month, a request or referral dated back, a
    merge): until the next nightly run, the page computes that month live."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "month"], name="referralmonthchange_owner_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.month:%Y-%m} {self.changed_at}"


class ReferralMonthReferrer(models.Model):
    """How many referrals one referrer gave one agent in one calendar month, kept by the
    nightly run with `ReferralMonth` (same months, same build). The top referrers of a period
    are not the sum of monthly top fives, but a referrer's count over a period is the sum of
    their months': the page reads these rows for the few referrers who can rank
    (`selectors.top_referrers`)."""

    # Not indexed alone: PostgreSQL would scan every row of the team's agents by it instead
    # of probing the few referrers read (deleting an agent is rare; the build deletes by month).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()  # the month's first day
    # Indexed by the unique constraint, which leads with it.
    referrer = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    given = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # The page reads a few referrers' months: an index-only scan with `given` in it.
            models.UniqueConstraint(
                fields=["referrer", "month", "agent"],
                include=["given"],
                name="referralmonthreferrer_unique",
            )
        ]
        indexes = [models.Index(fields=["month"], name="referralmonthreferrer_month")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.month:%Y-%m} {self.referrer_id}: {self.given}"


class ReferralReferrerTotal(models.Model):
    """A referrer's referrals to one agent over every month kept in `ReferralMonthReferrer`
    (their sum, rewritten by the same build). It bounds the referrer's count over any period
    read from those months, so the page only sums the months of the referrers whose total
    could rank (`selectors.top_referrers`)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    referrer = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    given = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "referrer"], name="referralreferrertotal_unique"
            )
        ]
        indexes = [
            models.Index(fields=["agent", "-given"], name="referralreferrertotal_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.referrer_id}: {self.given}"
