"""The client archive: clients, family members, tags and segments, custom dates, interactions,
life events and promises (commitments)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from agentcrm.core.calendar import month_day_key
from agentcrm.core.crypto import EncryptedCharField, keyed_digest
from agentcrm.core.masking import mask_id

from .id_numbers import id_number_normalise
from .salutation import address_as, suggest_salutation


class Calendar(models.TextChoices):
    SOLAR = "solar", _("Solar (公历)")
    LUNAR = "lunar", _("Lunar (农历)")


class Celebrates(models.TextChoices):
    """Which birthday a person keeps: the solar one, the lunar one, or both."""

    SOLAR = "solar", _("Solar (公历)")
    LUNAR = "lunar", _("Lunar (农历)")
    BOTH = "both", _("Both solar and lunar")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Not recorded")


class GreetingStyle(models.TextChoices):
    """The wording of the greetings a client gets; the agent can reword each style."""

    FORMAL = "formal", _("Formal")
    WARM = "warm", _("Warm")
    ELDER = "elder", _("For an elder")


class Birthday(models.Model):
    """Birth date fields shared by clients and family members.

    The solar date is the one on the ID card; a lunar birthday can be recorded as well and
    `birthday_calendar` says which one the person celebrates (or both). A solar birthday
    may be known without the year (`birth_month` and `birth_day`, no `birth_date`): it still
    makes touches, and the age is unknown. `birth_md` (month*100+day) is kept in step with
    either so birthdays can be matched by an index.
    """

    birth_date = models.DateField(_("birth date (solar)"), null=True, blank=True)
    # Set from birth_date when it is known; entered alone when only the month and day are.
    birth_month = models.PositiveSmallIntegerField(
        _("birth month (year unknown)"), null=True, blank=True
    )
    birth_day = models.PositiveSmallIntegerField(
        _("birth day (year unknown)"), null=True, blank=True
    )
    birth_md = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    lunar_birth_year = models.PositiveSmallIntegerField(
        _("lunar birth year"), null=True, blank=True
    )
    lunar_birth_month = models.PositiveSmallIntegerField(
        _("lunar birth month"), null=True, blank=True
    )
    lunar_birth_day = models.PositiveSmallIntegerField(_("lunar birth day"), null=True, blank=True)
    lunar_birth_leap = models.BooleanField(_("leap month"), default=False)
    birthday_calendar = models.CharField(
        _("celebrates"), max_length=8, choices=Celebrates, default=Celebrates.SOLAR
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.birth_date:
            self.birth_month, self.birth_day = self.birth_date.month, self.birth_date.day
        self.birth_md = (
            month_day_key(self.birth_month, self.birth_day)
            if self.birth_month and self.birth_day
            else None
        )
        super().save(*args, **kwargs)

    @property
    def has_lunar_birthday(self) -> bool:
        return bool(self.lunar_birth_month and self.lunar_birth_day)

    @property
    def birth_year_unknown(self) -> bool:
        """A solar birthday known as month and day only: touches yes, age unknown."""
        return self.birth_date is None and bool(self.birth_month and self.birth_day)


def id_number_digest_for(value: str | None) -> str:
    """The digest to look a typed or imported ID number up by (`id_number_digest`)."""
    return keyed_digest(id_number_normalise(value))


def birth_md_for(value) -> int | None:
    return month_day_key(value.month, value.day) if value else None


class Segment(models.Model):
    """The deck's client segments; rows are created by a data migration."""

    class Code(models.TextChoices):
        MANAGER = "manager", _("Manager / executive")
        WOMAN = "woman", _("Woman")
        EXPECTANT_MOTHER = "expectant_mother", _("Expectant mother")
        STUDENT = "student", _("Student")
        YOUNG_CHILD = "young_child", _("Young child in family")
        ELDER = "elder", _("Elder")
        TEACHER = "teacher", _("Teacher")
        MILITARY = "military", _("Military")
        BUSINESS_OWNER = "business_owner", _("Business owner")

    code = models.CharField(max_length=32, choices=Code, unique=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["id"]

    def __str__(self) -> str:
        # The label by a dict lookup: get_code_display rebuilds the choices per call, which
        # cost a client list row of segments more than the rest of the row.
        return segment_label(self.code)


_SEGMENT_LABELS = dict(Segment.Code.choices)


def segment_label(code: str) -> str:
    """A segment's label by its code (what str() of the Segment gives)."""
    return str(_SEGMENT_LABELS.get(code, code))


class Tag(models.Model):
    """A free tag. Tags belong to one agent: another agent's tag names are never shown."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_tags"
    )
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=40)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint("owner", "name", name="tag_unique_per_owner")]

    def __str__(self) -> str:
        return self.name


# Clients the nightly neglect kind can touch: clients (not prospects), contactable
# (selectors.contactable): the condition of its two partial indexes.
NEGLECT_CANDIDATES = Q(stage="client", archived_at__isnull=True, do_not_contact=False)


class Client(Birthday):
    class Stage(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        CLIENT = "client", _("Client")

    class Source(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        COLD_CALL = "cold_call", _("Cold call")
        WARM_CIRCLE = "warm_circle", _("Warm circle")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    class Marital(models.TextChoices):
        UNKNOWN = "", _("Not recorded")
        SINGLE = "single", _("Single")
        MARRIED = "married", _("Married")
        DIVORCED = "divorced", _("Divorced")
        WIDOWED = "widowed", _("Widowed")

    class Income(models.TextChoices):
        UNKNOWN = "", _("Not recorded")
        UNDER_100K = "lt100k", _("Under ¥100k a year")
        FROM_100K = "100k-300k", _("¥100k–300k a year")
        FROM_300K = "300k-1m", _("¥300k–1m a year")
        OVER_1M = "gt1m", _("Over ¥1m a year")

    class Tier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        SILVER = "silver", _("Silver")
        GOLD = "gold", _("Gold")
        DIAMOND = "diamond", _("Diamond")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="clients",
    )
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender, default=Gender.UNKNOWN)
    # 称呼: what the greetings call the client (王总, 李姐, 张老师); blank: 王先生/王女士 from
    # the surname and gender, or the name.
    salutation = models.CharField(_("form of address"), max_length=20, blank=True)
    greeting_style = models.CharField(
        _("greeting style"), max_length=8, choices=GreetingStyle, default=GreetingStyle.FORMAL
    )
    mobile = PhoneNumberField(_("mobile phone"), blank=True, db_index=True)
    phone_other = PhoneNumberField(_("other phone"), blank=True)
    wechat_id = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    marital_status = models.CharField(
        _("marital status"), max_length=16, choices=Marital, blank=True, default=Marital.UNKNOWN
    )
    wedding_date = models.DateField(_("wedding date"), null=True, blank=True)
    wedding_md = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    income_band = models.CharField(
        _("income band"), max_length=16, choices=Income, blank=True, default=Income.UNKNOWN
    )
    segments = models.ManyToManyField(
        Segment, verbose_name=_("segments"), blank=True, related_name="clients"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="clients")
    interests = models.CharField(_("interests"), max_length=255, blank=True)
    vip_tier = models.CharField(_("VIP tier"), max_length=16, choices=Tier, default=Tier.STANDARD)
    is_influence_centre = models.BooleanField(_("influence centre (影响力中心)"), default=False)
    source = models.CharField(_("source"), max_length=16, choices=Source, default=Source.OTHER)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage, default=Stage.PROSPECT)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    do_not_contact_reason = models.CharField(
        _("reason for do-not-contact"), max_length=255, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    # 身份证号: encrypted at rest and shown masked (`id_number_masked`); the keyed digest
    # beside it finds equal numbers, which the ciphertext cannot (agentcrm.core.crypto).
    id_number = EncryptedCharField(_("ID number"), max_length=32, blank=True)
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    # Set when this record was merged into another (ClientMerge); undoing the merge clears it.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
    )
    # Set when the client's personal data was erased (privacy.services.client_erase).
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The day of the latest interaction (None: never contacted), kept by every write that
    # logs, moves or removes one (services.client_last_contact_refresh): the lists and the
    # nightly neglect kind read it instead of a MAX over the interactions per client.
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True, editable=False)
    # Audit trail (shown on the client page). Derived keys and timestamps are left out.
    history = HistoricalRecords(
        excluded_fields=[
            "birth_md",
            "wedding_md",
            "id_number_digest",
            "created_at",
            "updated_at",
            "last_contact_on",
        ]
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["owner", "name"], name="client_owner_name"),
            models.Index(fields=["owner", "birth_md"], name="client_owner_birth_md"),
            models.Index(
                fields=["owner", "lunar_birth_month", "lunar_birth_day"],
                name="client_owner_lunar_birth",
            ),
            models.Index(fields=["owner", "wedding_md"], name="client_owner_wedding_md"),
            models.Index(fields=["owner", "last_contact_on"], name="client_owner_last_contact"),
            # The nightly "not contacted for a long time" kind (touches.occasions.
            # neglected_clients): a range on the last contact of the contactable clients,
            # and apart the clients never contacted; each holds every column the statement
            # reads, so the night reads these indexes, not the table (tier and id as key
            # columns after the range: SQLite has no INCLUDE).
            models.Index(
                fields=["owner", "last_contact_on", "vip_tier", "id"],
                condition=NEGLECT_CANDIDATES & Q(last_contact_on__isnull=False),
                name="client_neglect_contacted",
            ),
            models.Index(
                fields=["owner", "created_at", "vip_tier", "id"],
                condition=NEGLECT_CANDIDATES & Q(last_contact_on__isnull=True),
                name="client_neglect_never",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lunar_birth_month__isnull=True)
                | Q(lunar_birth_month__gte=1, lunar_birth_month__lte=12),
                name="client_lunar_month_range",
            ),
            models.CheckConstraint(
                condition=Q(lunar_birth_day__isnull=True)
                | Q(lunar_birth_day__gte=1, lunar_birth_day__lte=30),
                name="client_lunar_day_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.wedding_md = birth_md_for(self.wedding_date)
        self.id_number = id_number_normalise(self.id_number)
        self.id_number_digest = keyed_digest(self.id_number)
        whole_row = kwargs.get("update_fields") is None and not kwargs.get("force_insert")
        if whole_row and not self._state.adding:
            # The last contact is the interactions' to keep (a contact logged since this
            # instance was loaded must not be written back over).
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "last_contact_on"
            ]
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return mask_id(self.id_number)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def suggested_salutation(self) -> str:
        return suggest_salutation(self.name, self.gender)

    @property
    def address_as(self) -> str:
        """What greetings call the client: the 称呼, else 王先生/王女士, else the name."""
        return address_as(salutation=self.salutation, name=self.name, gender=self.gender)


class FamilyMember(Birthday):
    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
        SIBLING = "sibling", _("Sibling")
        GRANDPARENT = "grandparent", _("Grandparent")
        GRANDCHILD = "grandchild", _("Grandchild")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="family")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation)
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender, default=Gender.UNKNOWN)
    is_living = models.BooleanField(_("living"), default=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    # The family member's own client record, when they are a client too: their birthday is
    # then that client's touch, not a second "family birthday" one.
    as_client = models.ForeignKey(
        Client,
        verbose_name=_("also a client"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="family_roles",
    )
    history = HistoricalRecords(excluded_fields=["birth_md"])

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["relation", "birth_date", "id"]
        indexes = [
            models.Index(fields=["birth_md"], name="family_birth_md"),
            # Lunar birthdays: without it the build's birthday query (solar OR lunar) reads
            # every family member once per batch of agents.
            models.Index(
                fields=["lunar_birth_month", "lunar_birth_day"], name="family_lunar_birth"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"


class CustomDate(models.Model):
    """A yearly date the client cares about (a shop's opening day, a parent's memorial…)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="custom_dates")
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    calendar = models.CharField(
        _("calendar"), max_length=8, choices=Calendar, default=Calendar.SOLAR
    )
    year = models.PositiveSmallIntegerField(_("first year"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    leap = models.BooleanField(_("leap month"), default=False)

    class Meta:
        verbose_name = _("custom yearly date")
        verbose_name_plural = _("custom yearly dates")
        ordering = ["month", "day"]
        indexes = [models.Index(fields=["calendar", "month", "day"], name="customdate_md")]

    def __str__(self) -> str:
        return self.name


class Interaction(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        MESSAGE = "message", _("Message")
        GIFT = "gift", _("Gift")
        EVENT = "event", _("Event")
        SERVICE = "service", _("Service")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    date = models.DateField(_("date"))
    summary = models.CharField(_("summary"), max_length=500)
    gift_value = models.DecimalField(
        _("gift value (¥)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["client", "-date"], name="interaction_client_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class LifeEvent(models.Model):
    class Kind(models.TextChoices):
        HOSPITALISED = "hospitalised", _("Hospitalised")
        PROMOTION = "promotion", _("Promotion")
        NEW_BABY = "new_baby", _("New baby")
        MARRIAGE = "marriage", _("Marriage")
        BEREAVEMENT = "bereavement", _("Bereavement")
        COMPLAINT = "complaint", _("Complaint")
        DISCOURAGED = "discouraged", _("Discouraged")
        MOVED = "moved", _("Moved")
        RETIRED = "retired", _("Retired")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="life_events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    date = models.DateField(_("date"))
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Commitment(models.Model):
    """A promise made to a client (承诺的事情一定要做到)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="commitments")
    description = models.CharField(_("what was promised"), max_length=500)
    due_date = models.DateField(_("due date"))
    done_date = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["done_date", "due_date", "id"]
        indexes = [models.Index(fields=["client", "done_date", "due_date"], name="commitment_open")]

    def __str__(self) -> str:
        return self.description


class ClientMerge(models.Model):
    """Two records of one person merged into one, and what moved, so it can be undone.

    `moved` is {"clients": {model label: [ids]}, <mover key>: {name: [ids]}}: the rows that
    pointed to `other` and now point to `kept`; `overwritten` the kept client's own values
    the agent replaced with the other's (as `Field.value_to_string` writes them);
    `other_archived_at` whether the other record was archived before the merge.
    """

    UNDO_DAYS = 30

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_merges"
    )
    kept = models.ForeignKey(
        Client, verbose_name=_("kept"), on_delete=models.CASCADE, related_name="merges_kept"
    )
    other = models.ForeignKey(
        Client, verbose_name=_("merged"), on_delete=models.CASCADE, related_name="merges_absorbed"
    )
    moved = models.JSONField(default=dict)
    overwritten = models.JSONField(default=dict)
    other_archived_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("client merge")
        verbose_name_plural = _("client merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.other_id} → {self.kept_id}"

    @property
    def undo_until(self):
        return self.merged_at + timedelta(days=self.UNDO_DAYS)
