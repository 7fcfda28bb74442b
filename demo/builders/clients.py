"""The demo clients of a new book: 36 Chinese clients per agent with their families, solar
and lunar birthdays, yearly dates, a year of contacts, life events and promises.

Deterministic: names, numbers and every choice come from the plan's fixed seed; dates are
laid out around `today`, so the dashboard always has birthdays this week, overdue and
upcoming promises, and contacts over the past year. `demo.seed` runs it for an agent who
has no clients yet.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import phonenumbers
from django.utils import timezone

from agentcrm.accounts.models import User
from agentcrm.core.calendar import (
    InvalidLunar,
    age_on,
    lunar_leap_month,
    lunar_month_days,
    lunar_to_solar,
    lunar_validate,
    solar_to_lunar,
)
from clients.models import (
    Calendar,
    Client,
    Commitment,
    CustomDate,
    FamilyMember,
    Gender,
    Interaction,
    LifeEvent,
    Segment,
    Tag,
    birth_md_for,
)
from clients.services import client_last_contact_refresh

if TYPE_CHECKING:  # Faker is imported when a book is built, not with the app registry
    from faker import Faker

CLIENTS_PER_AGENT = 36


@dataclass(frozen=True)
class AgentPlan:
    """Per-agent seed and the day offsets that put birthdays in the coming week."""

    username: str
    seed: int
    solar_birthday_offsets: tuple[int, ...]
    lunar_birthday_offset: int
    wedding_offset: int
    child_birthday_offset: int


# --- vocabulary ---------------------------------------------------------------------------

ROADS = {
    "浦东新区": ["张杨路", "浦东南路", "世纪大道", "龙阳路", "锦绣路"],
    "徐汇区": ["衡山路", "漕溪北路", "宜山路", "田林路", "天钥桥路"],
    "静安区": ["南京西路", "江宁路", "延安中路", "共和新路", "陕西北路"],
    "黄浦区": ["淮海中路", "西藏南路", "复兴中路", "瑞金二路"],
    "长宁区": ["天山路", "虹桥路", "古北路", "武夷路", "仙霞路"],
    "普陀区": ["曹杨路", "中山北路", "长寿路", "真北路"],
    "虹口区": ["四川北路", "大连路", "曲阳路", "西江湾路"],
    "杨浦区": ["四平路", "国权路", "控江路", "黄兴路"],
    "闵行区": ["莘庄路", "七莘路", "虹井路", "都市路"],
    "宝山区": ["牡丹江路", "友谊路", "共康路", "淞宝路"],
}
DISTRICTS = list(ROADS)
UNIVERSITIES = ["复旦大学", "上海交通大学", "同济大学", "华东师范大学", "上海财经大学", "上海大学"]
HOSPITALS = [
    "复旦大学附属华山医院",
    "上海交通大学医学院附属瑞金医院",
    "上海市第六人民医院",
    "上海市儿童医院",
]
COMPANY_SUFFIX = {
    "互联网": "网络科技有限公司",
    "医药": "医药有限公司",
    "制造业": "机械制造有限公司",
    "金融": "投资管理有限公司",
    "建筑": "建设工程有限公司",
    "零售": "商贸有限公司",
    "贸易": "国际贸易有限公司",
    "餐饮": "餐饮管理有限公司",
    "广告": "文化传媒有限公司",
    "房地产": "房地产经纪有限公司",
    "物流": "物流有限公司",
    "物业管理": "物业管理有限公司",
}
MANAGER_JOBS = [
    ("部门经理", "互联网"),
    ("销售总监", "医药"),
    ("财务总监", "制造业"),
    ("人力资源经理", "金融"),
    ("项目经理", "建筑"),
    ("区域经理", "零售"),
]
OWNER_JOBS = [
    ("企业主", "贸易"),
    ("餐厅老板", "餐饮"),
    ("创始人", "互联网"),
    ("工厂老板", "制造业"),
    ("连锁店店主", "零售"),
    ("物流公司老板", "物流"),
]
TEACHER_JOBS = ["中学教师", "小学教师", "大学讲师"]
OTHER_JOBS = [
    ("软件工程师", "互联网"),
    ("护士", "医疗"),
    ("医生", "医疗"),
    ("会计", "金融"),
    ("公务员", "政府机关"),
    ("设计师", "广告"),
    ("律师", "法律服务"),
    ("银行职员", "金融"),
    ("医药代表", "医药"),
    ("行政主管", "制造业"),
    ("房产经纪人", "房地产"),
    ("产品经理", "互联网"),
]
FORMER_JOBS = [
    ("原中学教师", "教育"),
    ("原国企工程师", "制造业"),
    ("原银行会计", "金融"),
    ("原纺织厂车间主任", "制造业"),
    ("原医院护士长", "医疗"),
]
# Faker's zh_CN given names are not reliably gendered: use curated lists.
MALE_GIVEN = [
    "伟",
    "强",
    "磊",
    "军",
    "杰",
    "涛",
    "超",
    "明",
    "刚",
    "辉",
    "鹏",
    "飞",
    "鑫",
    "波",
    "斌",
    "宇",
    "浩",
    "凯",
    "健",
    "俊",
    "旭",
    "龙",
    "亮",
    "成",
    "建华",
    "建国",
    "志强",
    "志明",
    "海涛",
    "晓东",
    "文博",
    "子轩",
    "浩然",
    "宇航",
    "俊杰",
    "国平",
    "德明",
    "永刚",
    "振华",
    "家豪",
    "天佑",
    "一鸣",
    "思远",
    "博文",
    "立新",
    "卫东",
    "建军",
    "晨阳",
    "嘉诚",
]
FEMALE_GIVEN = [
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "艳",
    "娟",
    "霞",
    "燕",
    "玲",
    "丹",
    "萍",
    "梅",
    "莉",
    "婷",
    "颖",
    "雪",
    "慧",
    "倩",
    "琴",
    "洁",
    "秀英",
    "秀兰",
    "桂英",
    "玉兰",
    "丽华",
    "美玲",
    "晓燕",
    "雅琴",
    "佳怡",
    "欣怡",
    "梓涵",
    "雨桐",
    "诗琪",
    "思琪",
    "婉婷",
    "晓丽",
    "海燕",
    "丽娟",
    "春梅",
    "红梅",
    "淑珍",
    "凤英",
    "文静",
    "梦瑶",
    "子涵",
    "若曦",
    "一诺",
    "可欣",
    "嘉怡",
]
MOBILE_PREFIXES = ["138", "139", "137", "136", "135", "150", "151", "158", "186", "188", "177"]
TAG_NAMES = ["高尔夫", "车主", "爱读书", "宝妈", "创业", "爱旅游", "健身", "养宠物", "茶艺"]
INTERESTS = [
    "高尔夫",
    "红酒",
    "摄影",
    "烘焙",
    "马拉松",
    "书法",
    "钓鱼",
    "古典音乐",
    "旅游",
    "瑜伽",
    "茶道",
]
NOTES = [
    "喜欢喝普洱茶，周末常去公园散步。",
    "关注子女教育金规划。",
    "对重疾险条款问得很细，需要耐心解释。",
    "工作忙，微信联系比电话方便，晚上八点后回复。",
    "父母身体不太好，关心养老和医疗保障。",
    "朋友圈活跃，愿意帮忙转介绍。",
    "刚换房，房贷压力较大。",
]
SUMMARIES = {
    Interaction.Kind.CALL: [
        "电话问候近况",
        "电话提醒保单续期",
        "电话沟通体检报告",
        "电话约下次见面时间",
    ],
    Interaction.Kind.MESSAGE: [
        "微信发送节日祝福",
        "微信分享健康文章",
        "微信确认理赔材料",
        "微信发送年度保障检视表",
    ],
    Interaction.Kind.VISIT: [
        "上门拜访，聊家庭保障需求",
        "在咖啡馆见面，讲解重疾险方案",
        "到公司拜访，签署投保单",
    ],
    Interaction.Kind.GIFT: [
        "送生日蛋糕",
        "送中秋月饼礼盒",
        "送孩子绘本一套",
        "送端午粽子礼盒",
        "送高尔夫球一盒",
    ],
    Interaction.Kind.EVENT: ["参加客户答谢会", "参加亲子烘焙活动", "参加健康讲座"],
    Interaction.Kind.SERVICE: ["协助办理理赔，已到账", "协助变更受益人", "协助办理保单地址变更"],
}
INTERACTION_KINDS = [
    (Interaction.Kind.CALL, 30),
    (Interaction.Kind.MESSAGE, 30),
    (Interaction.Kind.VISIT, 18),
    (Interaction.Kind.GIFT, 10),
    (Interaction.Kind.EVENT, 6),
    (Interaction.Kind.SERVICE, 6),
]
GIFT_VALUES = [Decimal(v) for v in ("88.00", "168.00", "200.00", "288.00", "368.00", "520.00")]
COMMITMENTS = [
    "送一本育儿书",
    "帮忙查询理赔进度",
    "寄送保单年度检视报告",
    "介绍一位儿科医生",
    "整理家庭保障方案",
    "陪同做年度体检",
    "帮孩子报名夏令营",
    "送高尔夫练习场体验券",
    "确认受益人变更材料",
    "推荐靠谱的装修公司",
]


# --- helpers --------------------------------------------------------------------------


def _solar(year: int, month: int, day: int) -> date:
    """(month, day) in `year`; a 29 February moves to the nearest earlier leap year."""
    if month == 2 and day == 29:
        while not calendar.isleap(year):
            year -= 1
    return date(year, month, day)


def _age(birth: date, today: date) -> int:
    return age_on(birth, today)


def _random_birth(rng: random.Random, age: int, today: date) -> date:
    """A birth date at which the person is `age` today."""
    latest = _solar(today.year - age, today.month, today.day)
    return latest - timedelta(days=rng.randint(0, 364))


def _lunar_fields(birth: date) -> dict:
    year, month, day, leap = solar_to_lunar(birth)
    return {
        "lunar_birth_year": year,
        "lunar_birth_month": month,
        "lunar_birth_day": day,
        "lunar_birth_leap": leap,
        "birthday_calendar": Calendar.LUNAR,
    }


def _leap_month_birth(rng: random.Random, age: int, today: date) -> date:
    """A solar birth date that falls in a lunar leap month, around `age` years ago."""
    for delta in sorted(range(-4, 5), key=abs):
        year = today.year - age + delta
        month = lunar_leap_month(year)
        if month:
            day = rng.randint(1, lunar_month_days(year, month, True))
            return lunar_to_solar(year=year, month=month, day=day, leap=True)
    raise AssertionError("no lunar leap month within nine years")  # pragma: no cover


def _day30_birth(rng: random.Random, age: int, today: date) -> date:
    """A solar birth date that is day 30 of a long lunar month, around `age` years ago."""
    year = today.year - age
    months = list(range(1, 13))
    rng.shuffle(months)
    for month in months:
        if lunar_month_days(year, month, False) == 30:
            return lunar_to_solar(year=year, month=month, day=30, leap=False)
    raise AssertionError("a lunar year without a 30-day month")  # pragma: no cover


def _lunar_years_near(around: int, month: int, day: int, leap: bool, span: int = 40):
    """Lunar years near `around` (nearest first, earlier first) in which the date exists:
    the year has that leap month, and the month has a day 30 when `day` is 30."""
    for delta in sorted(range(-span, span + 1), key=lambda d: (abs(d), d)):
        try:
            lunar_validate(year=around + delta, month=month, day=day, leap=leap)
        except InvalidLunar:
            continue
        yield around + delta


def _lunar_birth_near(today: date, age: int, offset: int) -> date | None:
    """A birth date whose lunar birthday is kept `offset` (or a few more) days from today.

    Inside a leap month the birth year needs the same leap month, which can be decades away.
    """
    this_year = solar_to_lunar(today)[0]
    for k in range(offset, 7):
        _, month, day, leap = solar_to_lunar(today + timedelta(days=k))
        for year in _lunar_years_near(this_year - age, month, day, leap):
            birth = lunar_to_solar(year=year, month=month, day=day, leap=leap)
            if 18 <= _age(birth, today) <= 85:
                return birth
    return None


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"
        if number not in used and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            used.add(number)
            return number


def _landline(rng: random.Random) -> str:
    while True:
        number = f"+8621{rng.choice('56')}{rng.randint(0, 9_999_999):07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _wechat(rng: random.Random, fake: Faker) -> str:
    if rng.random() < 0.4:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "wxid_" + "".join(rng.choice(alphabet) for _ in range(12))
    return f"{fake.user_name()}{rng.randint(10, 99)}"[:64]


def _address(rng: random.Random) -> str:
    district = rng.choice(DISTRICTS)
    return (
        f"上海市{district}{rng.choice(ROADS[district])}{rng.randint(1, 1200)}弄"
        f"{rng.randint(1, 60)}号{rng.randint(1, 28)}0{rng.randint(1, 4)}室"
    )


def _employer(rng: random.Random, fake: Faker, industry: str) -> str:
    if industry == "医疗":
        return rng.choice(HOSPITALS)
    if industry == "政府机关":
        return f"上海市{rng.choice(DISTRICTS)}{rng.choice(['税务局', '教育局', '市场监督管理局'])}"
    if industry == "法律服务":
        return f"上海{_company_prefix(fake)}律师事务所"
    return f"上海{_company_prefix(fake)}{COMPANY_SUFFIX[industry]}"


def _company_prefix(fake: Faker) -> str:
    """A Faker company prefix without a trade in it ("…软件", "…电脑"), which the suffix adds."""
    while True:
        prefix = fake.company_prefix()
        if not any(word in prefix for word in ("软件", "电脑", "计算机", "网络", "信息", "科技")):
            return prefix


def _person_name(rng: random.Random, fake: Faker, gender: str, surname: str | None = None) -> str:
    """Surname from Faker (weighted by frequency), given name from the gendered lists."""
    given = rng.choice(FEMALE_GIVEN if gender == Gender.FEMALE else MALE_GIVEN)
    return f"{surname or fake.last_name()}{given}"


# --- one agent's book ---------------------------------------------------------------------


@dataclass
class Persona:
    """What the generator decided about a client before anything is stored."""

    archetype: str
    age: int
    gender: str
    expectant: bool = False


def _personas(rng: random.Random) -> list[Persona]:
    """36 people: the composition is fixed so every segment appears; the order is shuffled."""
    plan = (
        [("student", 19, 23)] * 2
        + [("manager", 32, 52)] * 4
        + [("owner", 30, 56)] * 4
        + [("teacher", 26, 56)] * 3
        + [("military", 28, 40), ("veteran", 40, 55)]
        + [("elder", 61, 76)] * 6
        + [("expectant", 26, 34)] * 2
        + [("other", 24, 46)] * 13
    )
    assert len(plan) == CLIENTS_PER_AGENT
    people = []
    for archetype, low, high in plan:
        if archetype == "expectant":
            people.append(Persona("other", rng.randint(low, high), Gender.FEMALE, expectant=True))
        elif archetype in ("military", "veteran"):
            gender = Gender.MALE if rng.random() < 0.8 else Gender.FEMALE
            people.append(Persona(archetype, rng.randint(low, high), gender))
        else:
            gender = Gender.FEMALE if rng.random() < 0.55 else Gender.MALE
            people.append(Persona(archetype, rng.randint(low, high), gender))
    rng.shuffle(people)
    return people


def seed_agent_clients(agent: User, *, plan: AgentPlan, today: date) -> int:
    """The agent's new book: its clients and everything about them. Returns how many clients."""
    return _BookBuilder(agent, plan=plan, today=today).build()


class _BookBuilder:
    # Fixed positions in the shuffled list for the people the dashboard needs.
    SOLAR_SOON = (3, 7)
    LUNAR_SOON = 11
    LUNAR_LEAP = 15
    LUNAR_DAY30 = 19
    DO_NOT_CONTACT = 22
    ARCHIVED = 30

    def __init__(self, agent: User, *, plan: AgentPlan, today: date):
        self.agent = agent
        self.plan = plan
        self.today = today
        from faker import Faker

        self.rng = random.Random(plan.seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(plan.seed)
        self.used_mobiles: set[str] = set()
        self.segments = {
            code.value: Segment.objects.get_or_create(code=code.value)[0] for code in Segment.Code
        }
        self.tags = {
            name: Tag.objects.get_or_create(owner=agent, name=name)[0] for name in TAG_NAMES
        }
        self.clients: list[Client] = []
        self.family: list[FamilyMember] = []
        self.custom_dates: list[CustomDate] = []
        self.interactions: list[Interaction] = []
        self.life_events: list[LifeEvent] = []
        self.commitments: list[Commitment] = []
        self.child_birthday_done = False
        self.infants = 0
        self.wedding_done = False
        self.lunar_custom_done = False

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    # -- birth dates --------------------------------------------------------------------

    def birth(self, index: int, persona: Persona) -> tuple[date, dict]:
        """The client's solar birth date and, for lunar celebrants, the lunar fields."""
        rng, today, age = self.rng, self.today, persona.age
        if index in self.SOLAR_SOON:
            offset = self.plan.solar_birthday_offsets[self.SOLAR_SOON.index(index)]
            soon = today + timedelta(days=offset)
            birth = _solar(soon.year - age, soon.month, soon.day)
            return (birth if birth <= today else _solar(birth.year - 1, soon.month, soon.day)), {}
        if index == self.LUNAR_SOON:
            birth = _lunar_birth_near(today, age, self.plan.lunar_birthday_offset)
            if birth is not None:
                return birth, _lunar_fields(birth)
        if index == self.LUNAR_LEAP:
            birth = _leap_month_birth(rng, age, today)
            return birth, _lunar_fields(birth)
        if index == self.LUNAR_DAY30:
            birth = _day30_birth(rng, age, today)
            return birth, _lunar_fields(birth)
        # Everyone else: birthdays spread over the whole year, one slot per client.
        slot = (index * 365) // CLIENTS_PER_AGENT + rng.randint(0, 8)
        md = date(2001, 1, 1) + timedelta(days=slot % 365)
        birth = _solar(today.year - age, md.month, md.day)
        if birth > today:
            birth = _solar(birth.year - 1, md.month, md.day)
        # Elders mostly keep the lunar birthday; a few younger people do too.
        lunar_share = 0.35 if persona.archetype == "elder" else 0.0
        return birth, (_lunar_fields(birth) if rng.random() < lunar_share else {})

    # -- one client ---------------------------------------------------------------------

    def job(self, persona: Persona) -> tuple[str, str, str, str | None, str]:
        """(occupation, employer, industry, segment, income band)."""
        rng, fake = self.rng, self.fake
        kind = persona.archetype
        if kind == "student":
            school = rng.choice(UNIVERSITIES)
            return "大学生", school, "教育", "student", ""
        if kind == "manager":
            occupation, industry = rng.choice(MANAGER_JOBS)
            income = rng.choice([Client.Income.FROM_300K, Client.Income.OVER_1M])
            return occupation, _employer(rng, fake, industry), industry, "manager", income
        if kind == "owner":
            occupation, industry = rng.choice(OWNER_JOBS)
            income = rng.choice([Client.Income.FROM_300K, Client.Income.OVER_1M, ""])
            return occupation, _employer(rng, fake, industry), industry, "business_owner", income
        if kind == "teacher":
            occupation = rng.choice(TEACHER_JOBS)
            if occupation == "大学讲师":
                employer = rng.choice(UNIVERSITIES)
            else:
                kind_of_school = "中学" if occupation == "中学教师" else "实验小学"
                employer = f"上海市{rng.choice(DISTRICTS)}第{rng.randint(1, 12)}{kind_of_school}"
            return occupation, employer, "教育", "teacher", Client.Income.FROM_100K
        if kind == "military":
            return "现役军官", "中国人民解放军某部", "军队", "military", Client.Income.FROM_100K
        if kind == "veteran":
            return (
                "退役军人（现任保安部经理）",
                _employer(rng, fake, "物业管理"),
                "物业管理",
                "military",
                Client.Income.FROM_100K,
            )
        if kind == "elder":
            former, industry = rng.choice(FORMER_JOBS)
            segment = "teacher" if industry == "教育" else None
            income = rng.choice([Client.Income.UNDER_100K, Client.Income.FROM_100K])
            return f"退休（{former}）", "", industry, segment, income
        occupation, industry = rng.choice(OTHER_JOBS)
        income = rng.choices(
            [Client.Income.FROM_100K, Client.Income.FROM_300K, Client.Income.UNDER_100K, ""],
            weights=[50, 25, 10, 15],
        )[0]
        return occupation, _employer(rng, fake, industry), industry, None, income

    def marital(self, persona: Persona) -> str:
        if persona.expectant:
            return Client.Marital.MARRIED
        if persona.age < 25:
            return Client.Marital.SINGLE
        choices = [
            Client.Marital.MARRIED,
            Client.Marital.SINGLE,
            Client.Marital.DIVORCED,
            Client.Marital.UNKNOWN,
        ]
        weights = [70, 15 if persona.age < 40 else 4, 6, 5]
        if persona.age >= 60:
            choices.append(Client.Marital.WIDOWED)
            weights.append(12)
        return self.rng.choices(choices, weights=weights)[0]

    def wedding(self, birth: date, marital: str, persona: Persona) -> date | None:
        if marital != Client.Marital.MARRIED:
            return None
        if not self.wedding_done and 28 <= persona.age < 60:
            self.wedding_done = True  # an anniversary in the coming week
            soon = self.today + timedelta(days=self.plan.wedding_offset)
            years = self.rng.randint(3, max(3, persona.age - 25))
            return _solar(soon.year - years, soon.month, soon.day)
        married_at = self.rng.randint(22, min(32, persona.age - 1))
        wedding = birth + timedelta(days=married_at * 365 + self.rng.randint(0, 364))
        return min(wedding, self.today - timedelta(days=30))

    def source(self, index: int) -> tuple[str, Client | None]:
        if index < 5:
            return Client.Source.WARM_CIRCLE, None
        source = self.rng.choices(
            [
                Client.Source.REFERRAL,
                Client.Source.WARM_CIRCLE,
                Client.Source.COLD_CALL,
                Client.Source.EVENT,
                Client.Source.OTHER,
            ],
            weights=[38, 20, 17, 20, 5],
        )[0]
        if source != Client.Source.REFERRAL:
            return source, None
        referrers = [c for c in self.clients if c.archived_at is None and not c.do_not_contact]
        centres = [c for c in referrers if c.is_influence_centre]
        pool = centres if centres and self.rng.random() < 0.6 else referrers
        return source, self.rng.choice(pool)

    def client(self, index: int, persona: Persona) -> Client:
        rng, fake, today = self.rng, self.fake, self.today
        birth, lunar = self.birth(index, persona)
        age = _age(birth, today)
        occupation, employer, industry, segment, income = self.job(persona)
        marital = self.marital(persona)
        # The referrer is drawn to keep the seed sequence; builders/referrals.py links them.
        source, _referrer = self.source(index)
        stage = Client.Stage.PROSPECT if persona.archetype == "student" else Client.Stage.CLIENT
        if index == self.ARCHIVED or (stage == Client.Stage.CLIENT and rng.random() < 0.15):
            stage = Client.Stage.PROSPECT
        if stage == Client.Stage.PROSPECT:
            tier = Client.Tier.STANDARD
        elif income == Client.Income.OVER_1M:
            tier = rng.choice([Client.Tier.DIAMOND, Client.Tier.GOLD])
        elif income == Client.Income.FROM_300K:
            tier = rng.choice([Client.Tier.GOLD, Client.Tier.SILVER])
        else:
            tier = rng.choices([Client.Tier.STANDARD, Client.Tier.SILVER], weights=[70, 30])[0]
        surname = fake.last_name()
        client = Client(
            owner=self.agent,
            name=_person_name(rng, fake, persona.gender, surname),
            gender=persona.gender,
            birth_date=birth,
            mobile=_mobile(rng, self.used_mobiles),
            phone_other=_landline(rng) if rng.random() < 0.12 else "",
            wechat_id=_wechat(rng, fake) if rng.random() < 0.9 else "",
            email=fake.free_email() if rng.random() < 0.5 else "",
            address=_address(rng),
            occupation=occupation,
            employer=employer,
            industry=industry,
            marital_status=marital,
            wedding_date=self.wedding(birth, marital, persona),
            income_band=income,
            interests="、".join(rng.sample(INTERESTS, rng.randint(0, 3))),
            vip_tier=tier,
            is_influence_centre=index in (0, 2) or (tier == Client.Tier.DIAMOND and index < 20),
            source=source,
            stage=stage,
            notes=rng.choice(NOTES) if rng.random() < 0.4 else "",
            **lunar,
        )
        if persona.expectant:
            due = today + timedelta(days=rng.randint(40, 150))
            client.notes = f"怀孕中，预产期约{due.year}年{due.month}月。"
        if index == self.DO_NOT_CONTACT:
            client.do_not_contact = True
            client.do_not_contact_reason = "本人要求暂停一切电话和微信联系（家中变故，半年后再说）"
        if index == self.ARCHIVED:
            client.archived_at = timezone.now() - timedelta(days=rng.randint(20, 90))
            client.notes = "已移居海外，不再跟进。"
        client.save()
        children, grandchildren = self.family_for(client, age, persona, surname)
        codes = {segment} if segment else set()
        if persona.gender == Gender.FEMALE:
            codes.add("woman")
        if age >= 60:
            codes.add("elder")
        if persona.expectant:
            codes.add("expectant_mother")
        young = [c for c in children if _age(c.birth_date, today) < 14]
        if young or grandchildren:  # grandchildren are all under 14
            codes.add("young_child")
        client.segments.set([self.segments[c] for c in sorted(codes)])
        client.tags.set([self.tags[name] for name in self.tag_names(client, persona, young)])
        return client

    def tag_names(self, client: Client, persona: Persona, young: list) -> list[str]:
        rng, names = self.rng, []
        if persona.gender == Gender.FEMALE and (young or persona.expectant):
            names.append("宝妈")
        if persona.archetype == "owner":
            names.append("创业")
        rich = client.income_band in (Client.Income.FROM_300K, Client.Income.OVER_1M)
        if persona.archetype in ("manager", "owner") and rich and rng.random() < 0.6:
            names.append("高尔夫")
        if 26 <= persona.age < 65 and rng.random() < 0.45:
            names.append("车主")
        if rng.random() < (0.7 if persona.archetype == "teacher" else 0.15):
            names.append("爱读书")
        for extra in ("爱旅游", "健身", "养宠物", "茶艺"):
            if rng.random() < 0.1:
                names.append(extra)
        return names

    # -- family -------------------------------------------------------------------------

    def member(
        self, client: Client, relation: str, gender: str, birth: date, **extra
    ) -> FamilyMember:
        surname = extra.pop("surname", None)
        name = extra.pop("name", None) or _person_name(self.rng, self.fake, gender, surname)
        member = FamilyMember(
            client=client,
            relation=relation,
            name=name,
            gender=gender,
            birth_date=birth,
            birth_md=birth_md_for(birth),
            **extra,
        )
        self.family.append(member)
        return member

    def family_for(
        self, client: Client, age: int, persona: Persona, surname: str
    ) -> tuple[list[FamilyMember], list[FamilyMember]]:
        """Spouse, children, grandchildren and parents. Returns (children, grandchildren)."""
        rng, today = self.rng, self.today
        other = Gender.MALE if persona.gender == Gender.FEMALE else Gender.FEMALE
        had_partner = client.marital_status in (
            Client.Marital.MARRIED,
            Client.Marital.DIVORCED,
            Client.Marital.WIDOWED,
        )
        spouse_surname = None
        if client.marital_status == Client.Marital.MARRIED:
            spouse_age = max(22, age + rng.randint(-4, 5))
            spouse_birth = _random_birth(rng, spouse_age, today)
            spouse_surname = self.fake.last_name()  # a wife keeps her own surname too
            spouse_name = _person_name(rng, self.fake, other, spouse_surname)
            self.member(client, FamilyMember.Relation.SPOUSE, other, spouse_birth, name=spouse_name)
        children: list[FamilyMember] = []
        grandchildren: list[FamilyMember] = []
        # Some expectant mothers are expecting their second child (the first is 2 or older).
        if persona.expectant:
            counts, youngest = ([0, 0, 1], 2)
        else:
            counts, youngest = ([0, 1, 1, 2, 2] if had_partner and age >= 26 else [0], 0)
        # Children take the father's surname.
        child_surname = surname if persona.gender == Gender.MALE else spouse_surname
        child_surname = child_surname or self.fake.last_name()
        child_age = rng.randint(max(youngest, age - 40), max(youngest, age - 26))
        for n in range(rng.choice(counts)):
            if n:
                child_age -= rng.randint(2, 6)
                if child_age < youngest:
                    break
            if child_age == 0 and self.infants >= 2:
                child_age = 1  # two new babies in a book are plenty
            self.infants += child_age == 0
            gender = rng.choice([Gender.FEMALE, Gender.MALE])
            birth = _random_birth(rng, child_age, today)
            if not self.child_birthday_done and 1 <= child_age <= 12:
                self.child_birthday_done = True  # a child's birthday in the coming week
                soon = today + timedelta(days=self.plan.child_birthday_offset)
                birth = _solar(soon.year - child_age - 1, soon.month, soon.day)
            member = self.member(
                client, FamilyMember.Relation.CHILD, gender, birth, surname=child_surname
            )
            children.append(member)
            if _age(birth, today) == 0:
                self.life_events.append(
                    LifeEvent(
                        client=client,
                        kind=LifeEvent.Kind.NEW_BABY,
                        date=birth,
                        notes=f"{member.name}出生，母子平安",
                    )
                )
        if persona.archetype == "elder" and rng.random() < 0.5:
            birth = _random_birth(rng, rng.randint(1, 12), today)
            gender = rng.choice([Gender.FEMALE, Gender.MALE])
            grandchildren.append(
                self.member(client, FamilyMember.Relation.GRANDCHILD, gender, birth)
            )
        if 20 <= age <= 52 and rng.random() < 0.55:
            for gender, relation_name in ((Gender.MALE, "父亲"), (Gender.FEMALE, "母亲")):
                if rng.random() < 0.3:
                    continue
                parent_age = age + rng.randint(24, 32)
                birth = _random_birth(rng, parent_age, today)
                living = not (parent_age >= 75 and rng.random() < 0.4)
                lunar = _lunar_fields(birth) if rng.random() < 0.5 else {}
                self.member(
                    client,
                    FamilyMember.Relation.PARENT,
                    gender,
                    birth,
                    surname=surname if gender == Gender.MALE else None,
                    is_living=living,
                    notes="" if living else "已故",
                    **lunar,
                )
                if not living:
                    self.custom_dates.append(
                        CustomDate(
                            client=client,
                            name=f"{relation_name}忌日",
                            calendar=Calendar.LUNAR,
                            month=rng.randint(1, 12),
                            day=rng.randint(1, 29),
                        )
                    )
                    self.life_events.append(
                        LifeEvent(
                            client=client,
                            kind=LifeEvent.Kind.BEREAVEMENT,
                            date=self.days_ago(60, 700),
                            notes=f"{relation_name}去世，已送花圈慰问",
                        )
                    )
        return children, grandchildren

    # -- the rest ----------------------------------------------------------------------

    def custom_dates_for(self, client: Client, persona: Persona) -> None:
        rng, today = self.rng, self.today
        if persona.archetype == "owner":
            if not self.lunar_custom_done:
                # A business opened on a lunar date that comes round in the next few days.
                lunar_year, month, day, leap = solar_to_lunar(today + timedelta(days=2))
                around = lunar_year - rng.randint(3, 12)
                opened = next(
                    (y for y in _lunar_years_near(around, month, day, leap) if y < lunar_year),
                    None,
                )
                if opened is not None:
                    self.lunar_custom_done = True
                    self.custom_dates.append(
                        CustomDate(
                            client=client,
                            name="开店纪念日（农历）",
                            calendar=Calendar.LUNAR,
                            year=opened,
                            month=month,
                            day=day,
                            leap=leap,
                        )
                    )
                    return
            self.custom_dates.append(
                CustomDate(
                    client=client,
                    name="公司成立纪念日",
                    calendar=Calendar.SOLAR,
                    year=today.year - rng.randint(3, 15),
                    month=rng.randint(1, 12),
                    day=rng.randint(1, 28),
                )
            )
        elif persona.archetype == "manager" and rng.random() < 0.5:
            self.custom_dates.append(
                CustomDate(
                    client=client,
                    name="入职纪念日",
                    calendar=Calendar.SOLAR,
                    year=today.year - rng.randint(2, 10),
                    month=rng.randint(1, 12),
                    day=rng.randint(1, 28),
                )
            )
        elif rng.random() < 0.08:
            self.custom_dates.append(
                CustomDate(
                    client=client,
                    name="乔迁纪念日",
                    calendar=Calendar.SOLAR,
                    year=today.year - rng.randint(1, 6),
                    month=rng.randint(1, 12),
                    day=rng.randint(1, 28),
                )
            )

    def interactions_for(self, client: Client) -> None:
        rng = self.rng
        if client.is_archived:
            count = 1
        elif client.stage == Client.Stage.PROSPECT:
            count = rng.randint(0, 2)
        else:
            count = rng.randint(2, 6)
        kinds, weights = zip(*INTERACTION_KINDS, strict=True)
        # Nobody has been contacted lately once they asked not to be, or left.
        newest = 120 if client.do_not_contact or client.is_archived else 0
        for _ in range(count):
            kind = rng.choices(kinds, weights=weights)[0]
            self.interactions.append(
                Interaction(
                    client=client,
                    created_by=self.agent,
                    kind=kind,
                    date=self.days_ago(newest, 364),
                    summary=rng.choice(SUMMARIES[kind]),
                    gift_value=rng.choice(GIFT_VALUES) if kind == Interaction.Kind.GIFT else None,
                )
            )

    def life_events_for(self, clients: list[tuple[Client, Persona]]) -> None:
        rng = self.rng
        managers = [c for c, p in clients if p.archetype == "manager"]
        elders = [c for c, p in clients if p.archetype == "elder"]
        for client in managers[:2]:
            self.life_events.append(
                LifeEvent(
                    client=client,
                    kind=LifeEvent.Kind.PROMOTION,
                    date=self.days_ago(30, 300),
                    notes=f"升任{client.occupation}，已发微信祝贺",
                )
            )
        if elders:
            self.life_events.append(
                LifeEvent(
                    client=elders[0],
                    kind=LifeEvent.Kind.HOSPITALISED,
                    date=self.days_ago(20, 120),
                    notes="因心脏不适住院一周，已带水果探望",
                )
            )
        if len(elders) > 1:
            self.life_events.append(
                LifeEvent(
                    client=elders[1], kind=LifeEvent.Kind.RETIRED, date=self.days_ago(100, 500)
                )
            )
        movers = [c for c, _ in clients if not c.is_archived]
        self.life_events.append(
            LifeEvent(
                client=rng.choice(movers),
                kind=LifeEvent.Kind.MOVED,
                date=self.days_ago(30, 200),
                notes=f"搬家至{rng.choice(DISTRICTS)}，已更新地址",
            )
        )
        recently_married = [
            c for c, _ in clients if c.wedding_date and (self.today - c.wedding_date).days < 365
        ]
        for client in recently_married[:1]:
            self.life_events.append(
                LifeEvent(client=client, kind=LifeEvent.Kind.MARRIAGE, date=client.wedding_date)
            )
        complainer = clients[self.DO_NOT_CONTACT][0]
        self.life_events.append(
            LifeEvent(
                client=complainer,
                kind=LifeEvent.Kind.COMPLAINT,
                date=self.days_ago(120, 160),
                notes="对电话回访太频繁表示不满",
            )
        )

    def commitments_for(self, clients: list[Client]) -> None:
        rng, today = self.rng, self.today
        active = [c for c in clients if not c.is_archived and not c.do_not_contact]
        chosen = rng.sample(active, 10)
        descriptions = rng.sample(COMMITMENTS, len(COMMITMENTS))
        for n, (client, description) in enumerate(zip(chosen, descriptions, strict=True)):
            if n < 3:  # open and overdue
                due, done = today - timedelta(days=rng.randint(2, 30)), None
            elif n < 7:  # open and upcoming
                due, done = today + timedelta(days=rng.randint(1, 21)), None
            else:  # kept
                due = today - timedelta(days=rng.randint(10, 200))
                done = due - timedelta(days=rng.randint(0, 5))
            self.commitments.append(
                Commitment(client=client, description=description, due_date=due, done_date=done)
            )

    def build(self) -> int:
        personas = _personas(self.rng)
        pairs = []
        for index, persona in enumerate(personas):
            client = self.client(index, persona)
            self.clients.append(client)
            pairs.append((client, persona))
            self.custom_dates_for(client, persona)
            self.interactions_for(client)
        self.life_events_for(pairs)
        self.commitments_for(self.clients)
        FamilyMember.objects.bulk_create(self.family)
        CustomDate.objects.bulk_create(self.custom_dates)
        Interaction.objects.bulk_create(self.interactions)
        client_last_contact_refresh(client_ids=[c.pk for c in self.clients])
        LifeEvent.objects.bulk_create(self.life_events)
        Commitment.objects.bulk_create(self.commitments)
        return len(self.clients)
