"""Demo registrations: categories, organizations, invitation codes and participants from 120+ countries.

Part of ``summit demo`` (``core/demo.py``). Names come from Faker in each country's own script, with a Latin
form (Faker's romanization for Chinese/Japanese where it has one, ``anyascii`` otherwise). Users and
participants are written with ``bulk_create``, so 2,000 participants take a few seconds on SQLite. Leaves
``demo.people`` for the apps above.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import timedelta

from anyascii import anyascii
from django.contrib.auth import get_user_model
from faker import Faker

from summit.accounts import services as accounts
from summit.core import audit
from summit.core.models import AuditEntry
from summit.events.demo import SLUG
from summit.registration import services
from summit.registration.models import Category, InvitationCode, Organization, Participant
from summit.registration.testing import standard_categories

PRESS_CODE = "PRESS2027"
VIP_CODE = "VIP-WUZHEN-2027"
DELEGATE_EMAIL = "delegate@summit.example"

ORGANIZATIONS = [
    ("international", "Global Digital Cooperation Union", "Global Digital Cooperation Union", "CH"),
    (
        "international",
        "International Telecommunication Standards Forum",
        "International Telecommunication Standards Forum",
        "CH",
    ),
    (
        "international",
        "Organisation mondiale pour l'éducation numérique",
        "World Organisation for Digital Education",
        "FR",
    ),
    (
        "international",
        "Asia-Pacific Network Information Alliance",
        "Asia-Pacific Network Information Alliance",
        "SG",
    ),
    ("international", "African Digital Development Council", "African Digital Development Council", "ET"),
    ("international", "Consejo Latinoamericano de Conectividad", "Latin American Connectivity Council", "UY"),
    ("international", "Global Cybersecurity Partnership", "Global Cybersecurity Partnership", "NL"),
    ("company", "乌镇云计算有限公司", "Wuzhen Cloud Computing Co., Ltd.", "CN"),
    ("company", "杭州数智科技股份有限公司", "Hangzhou Shuzhi Technology Co., Ltd.", "CN"),
    ("company", "深圳星链通信有限公司", "Shenzhen Xinglian Communications Co., Ltd.", "CN"),
    ("company", "北京天衡数据有限公司", "Beijing Tianheng Data Co., Ltd.", "CN"),
    ("company", "Nordlicht Daten GmbH", "Nordlicht Daten GmbH", "DE"),
    ("company", "サクラ通信株式会社", "Sakura Tsushin K.K.", "JP"),
    ("company", "한빛네트웍스 주식회사", "Hanbit Networks Co., Ltd.", "KR"),
    ("company", "Andes Digital S.A.", "Andes Digital S.A.", "CL"),
    ("company", "Savanna Mobile Ltd.", "Savanna Mobile Ltd.", "KE"),
    ("company", "Лазурь Софт", "Lazur Soft", "RU"),
    ("company", "Blue Harbor Semiconductors Inc.", "Blue Harbor Semiconductors Inc.", "US"),
    ("company", "Ganga Cloud Services Pvt. Ltd.", "Ganga Cloud Services Pvt. Ltd.", "IN"),
    ("company", "شركة الواحة الرقمية", "Digital Oasis Company", "AE"),
    ("company", "Solaris Energia Digital Ltda.", "Solaris Energia Digital Ltda.", "BR"),
    ("research", "浙江数字科学研究院", "Zhejiang Institute of Digital Science", "CN"),
    ("research", "清源人工智能实验室", "Qingyuan Artificial Intelligence Laboratory", "CN"),
    ("research", "Institut für Netzwerkforschung", "Institute for Network Research", "DE"),
    (
        "research",
        "Laboratoire européen des systèmes distribués",
        "European Laboratory for Distributed Systems",
        "FR",
    ),
    ("research", "東都情報科学研究所", "Toto Institute of Information Science", "JP"),
    ("research", "Pacific Institute for Data Policy", "Pacific Institute for Data Policy", "AU"),
    (
        "research",
        "Instituto de Ciencias de la Computación del Sur",
        "Southern Institute of Computer Science",
        "AR",
    ),
    ("media", "环球数字日报", "Global Digital Daily", "CN"),
    ("media", "乌镇之声", "Voice of Wuzhen", "CN"),
    ("media", "The Network Gazette", "The Network Gazette", "GB"),
    ("media", "Le Courrier numérique", "Le Courrier numérique", "FR"),
    ("media", "Der Netzspiegel", "Der Netzspiegel", "DE"),
    ("media", "Цифровой вестник", "Tsifrovoi Vestnik", "RU"),
    ("media", "デジタル新報", "Digital Shimpo", "JP"),
    ("media", "Al-Shabaka Today", "Al-Shabaka Today", "QA"),
    ("media", "Tech Horizon Weekly", "Tech Horizon Weekly", "US"),
    ("media", "Diário Digital", "Diario Digital", "BR"),
    ("other", "Open Internet Society", "Open Internet Society", "US"),
    ("other", "数字丝路青年联合会", "Digital Silk Road Youth Federation", "CN"),
    ("other", "Fondation pour l'inclusion numérique", "Foundation for Digital Inclusion", "SN"),
    ("other", "Universidad Tecnológica del Pacífico", "Pacific Technological University", "PE"),
]

# "Ministry of digital affairs" in a few languages; other countries get the English name.
MINISTRY = {
    "CN": ("数字事务部", "Ministry of Digital Affairs"),
    "RU": ("Министерство цифрового развития", "Ministry of Digital Development"),
    "JP": ("デジタル省", "Ministry of Digital Affairs"),
    "KR": ("디지털정책부", "Ministry of Digital Policy"),
    "DE": ("Bundesministerium für Digitales", "Federal Ministry for Digital Affairs"),
    "FR": ("Ministère du Numérique", "Ministry of Digital Affairs"),
    "ES": ("Ministerio de Transformación Digital", "Ministry of Digital Transformation"),
    "BR": ("Ministério das Comunicações Digitais", "Ministry of Digital Communications"),
    "SA": ("وزارة الاتصالات والتقنية", "Ministry of Communications and Technology"),
    "EG": ("وزارة الاتصالات والتقنية", "Ministry of Communications and Technology"),
    "AE": ("وزارة الاقتصاد الرقمي", "Ministry of Digital Economy"),
    "IN": ("डिजिटल मामलों का मंत्रालय", "Ministry of Digital Affairs"),
    "TH": ("กระทรวงดิจิทัล", "Ministry of Digital Economy"),
    "GR": ("Υπουργείο Ψηφιακής Διακυβέρνησης", "Ministry of Digital Governance"),
    "UA": ("Міністерство цифрової трансформації", "Ministry of Digital Transformation"),
    "IT": ("Ministero per l'Innovazione Digitale", "Ministry for Digital Innovation"),
}

# Country → Faker locales with person names (Faker falls back to English names for several locales, those
# are left out). Countries without a fitting locale get a neutral Latin-script one.
NEUTRAL_LOCALE = "en_US"
COUNTRY_LOCALES: dict[str, list[str]] = {
    "CN": ["zh_CN"],
    "TW": ["zh_TW"],
    "HK": ["zh_TW"],
    "MO": ["zh_TW"],
    "SG": ["zh_CN", "en_US"],
    "JP": ["ja_JP"],
    "KR": ["ko_KR"],
    "IN": ["hi_IN", "ta_IN", "gu_IN", "mr_IN", "or_IN", "en_IN"],
    "BD": ["bn_BD"],
    "NP": ["ne_NP"],
    "BT": ["ne_NP"],
    "LK": ["si_LK"],
    "PK": ["en_PK"],
    "TH": ["th_TH"],
    "VN": ["vi_VN"],
    "ID": ["id_ID"],
    "MY": ["id_ID"],
    "BN": ["id_ID"],
    "PH": ["en_US"],
    "TR": ["tr_TR"],
    "AZ": ["az_AZ"],
    "UZ": ["uz_UZ"],
    "IR": ["fa_IR"],
    "AF": ["fa_IR"],
    "IL": ["he_IL"],
    "GE": ["ka_GE"],
    "AM": ["hy_AM"],
    "RU": ["ru_RU"],
    "BY": ["ru_RU"],
    "KZ": ["ru_RU"],
    "KG": ["ru_RU"],
    "TJ": ["ru_RU"],
    "TM": ["ru_RU"],
    "UA": ["uk_UA"],
    "BG": ["bg_BG"],
    "MK": ["mk_MK"],
    "GR": ["el_GR"],
    "CY": ["el_GR"],
    "DE": ["de_DE"],
    "AT": ["de_AT"],
    "CH": ["de_CH", "fr_CH"],
    "LI": ["de_LI"],
    "LU": ["de_LU"],
    "FR": ["fr_FR"],
    "BE": ["nl_BE", "fr_BE"],
    "MC": ["fr_FR"],
    "NL": ["nl_NL"],
    "DK": ["da_DK"],
    "NO": ["no_NO"],
    "SE": ["sv_SE"],
    "FI": ["fi_FI"],
    "IS": ["is_IS"],
    "EE": ["et_EE"],
    "LV": ["lv_LV"],
    "LT": ["lt_LT"],
    "PL": ["pl_PL"],
    "CZ": ["cs_CZ"],
    "SK": ["sk_SK"],
    "HU": ["hu_HU"],
    "SI": ["sl_SI"],
    "HR": ["hr_HR"],
    "BA": ["hr_HR"],
    "RS": ["hr_HR"],
    "ME": ["hr_HR"],
    "RO": ["ro_RO"],
    "MD": ["ro_RO"],
    "IT": ["it_IT"],
    "SM": ["it_IT"],
    "VA": ["it_IT"],
    "MT": ["it_IT"],
    "ES": ["es_ES"],
    "AD": ["es_ES"],
    "PT": ["pt_PT"],
    "IE": ["en_IE", "ga_IE"],
    "GB": ["en_GB"],
    "US": ["en_US"],
    "CA": ["en_CA", "fr_CA"],
    "AU": ["en_AU"],
    "NZ": ["en_NZ"],
    "MX": ["es_MX"],
    "AR": ["es_AR"],
    "CL": ["es_CL"],
    "CO": ["es_CO"],
    "BR": ["pt_BR"],
    "PE": ["es_MX"],
    "VE": ["es_CO"],
    "EC": ["es_CO"],
    "BO": ["es_AR"],
    "PY": ["es_AR"],
    "UY": ["es_AR"],
    "CR": ["es_MX"],
    "PA": ["es_MX"],
    "GT": ["es_MX"],
    "HN": ["es_MX"],
    "SV": ["es_MX"],
    "NI": ["es_MX"],
    "DO": ["es_MX"],
    "CU": ["es_MX"],
    "GQ": ["es_ES"],
    "AO": ["pt_PT"],
    "MZ": ["pt_PT"],
    "CV": ["pt_PT"],
    "GW": ["pt_PT"],
    "ST": ["pt_PT"],
    "TL": ["pt_PT"],
    "SA": ["ar_SA"],
    "AE": ["ar_AA"],
    "QA": ["ar_AA"],
    "KW": ["ar_AA"],
    "BH": ["ar_AA"],
    "OM": ["ar_AA"],
    "YE": ["ar_AA"],
    "IQ": ["ar_AA"],
    "JO": ["ar_AA"],
    "LB": ["ar_AA"],
    "SY": ["ar_AA"],
    "PS": ["ar_PS"],
    "EG": ["ar_AA"],
    "LY": ["ar_AA"],
    "DZ": ["ar_DZ", "fr_DZ"],
    "TN": ["ar_AA", "fr_FR"],
    "MA": ["ar_AA", "fr_FR"],
    "SD": ["ar_AA"],
    "MR": ["ar_AA"],
    "NG": ["en_NG", "yo_NG", "ig_NG", "ha_NG"],
    "GH": ["tw_GH"],
    "KE": ["en_KE", "sw"],
    "TZ": ["sw"],
    "UG": ["en_KE"],
    "RW": ["fr_FR", "en_KE"],
    "ZA": ["zu_ZA", "en_US"],
    "ZW": ["zu_ZA"],
    "ZM": ["en_KE"],
    "MW": ["en_KE"],
    "BW": ["zu_ZA"],
    "NA": ["en_US"],
    "SN": ["fr_FR"],
    "CI": ["fr_FR"],
    "ML": ["fr_FR"],
    "BF": ["fr_FR"],
    "NE": ["fr_FR"],
    "TG": ["fr_FR"],
    "BJ": ["fr_FR"],
    "CM": ["fr_FR"],
    "GA": ["fr_FR"],
    "CG": ["fr_FR"],
    "CD": ["fr_FR"],
    "MG": ["fr_FR"],
    "TD": ["fr_FR"],
    "DJ": ["fr_FR"],
    "HT": ["fr_FR"],
    "MU": ["fr_FR"],
    "SC": ["fr_FR"],
    "ET": ["en_KE"],
    "SO": ["en_KE"],
    "ER": ["en_KE"],
    "SS": ["en_KE"],
    "SL": ["en_NG"],
    "LR": ["en_NG"],
    "GM": ["en_NG"],
    "JM": ["en_US"],
    "TT": ["en_US"],
    "BS": ["en_US"],
    "BB": ["en_US"],
    "FJ": ["en_AU"],
    "PG": ["en_AU"],
    "WS": ["en_NZ"],
    "TO": ["en_NZ"],
    "MN": ["ru_RU"],
    "LA": ["th_TH"],
    "KH": ["en_US"],
    "MM": ["en_US"],
    "MV": ["en_US"],
    "AL": ["en_US"],
    "XK": ["en_US"],
    "GY": ["en_US"],
    "SR": ["nl_NL"],
    "BZ": ["en_US"],
    "KP": ["ko_KR"],
}
# Countries that send bigger delegations are drawn more often once every country has had its turn.
BIG_DELEGATIONS = {
    "US": 8,
    "RU": 8,
    "GB": 5,
    "DE": 6,
    "FR": 6,
    "JP": 6,
    "KR": 6,
    "IN": 6,
    "BR": 5,
    "SG": 4,
    "PK": 4,
    "SA": 4,
    "AE": 4,
    "ID": 4,
    "TH": 3,
    "VN": 3,
    "MY": 3,
    "IT": 3,
    "ES": 3,
    "KZ": 3,
    "EG": 3,
    "ZA": 3,
    "NG": 3,
    "TR": 3,
    "HK": 3,
    "TW": 2,
    "MO": 2,
}
FAMILY_FIRST_LOCALES = {"zh_CN", "zh_TW", "ja_JP", "ko_KR", "hu_HU", "vi_VN"}
CHINESE_COUNTRIES = {"CN", "HK", "MO", "TW"}

# (code, weight) of the participant categories; VIP is weighted to fill its quota in a full demo.
CATEGORY_WEIGHTS = {
    "government": 12,
    "international": 7,
    "company": 28,
    "research": 11,
    "media": 9,
    "exhibitor": 10,
    "vip": 5,
    "online": 18,
}

POSITIONS = {
    "government": [
        ("Minister", "部长"),
        ("Vice Minister", "副部长"),
        ("Director-General", "司长"),
        ("Deputy Director-General", "副司长"),
        ("Ambassador", "大使"),
        ("Counsellor", "参赞"),
        ("Senior Policy Adviser", "高级政策顾问"),
    ],
    "international": [
        ("Secretary-General", "秘书长"),
        ("Programme Officer", "项目官员"),
        ("Regional Director", "区域主任"),
        ("Senior Adviser", "高级顾问"),
    ],
    "company": [
        ("Chief Executive Officer", "首席执行官"),
        ("Chief Technology Officer", "首席技术官"),
        ("Vice President", "副总裁"),
        ("Head of Partnerships", "合作伙伴关系负责人"),
        ("Product Manager", "产品经理"),
        ("Software Engineer", "软件工程师"),
    ],
    "research": [
        ("Professor", "教授"),
        ("Research Fellow", "研究员"),
        ("Director", "所长"),
        ("Postdoctoral Researcher", "博士后研究员"),
    ],
    "media": [
        ("Correspondent", "记者"),
        ("Editor-in-Chief", "主编"),
        ("Photographer", "摄影记者"),
        ("Camera Operator", "摄像师"),
        ("Technology Reporter", "科技记者"),
    ],
    "exhibitor": [
        ("Booth Manager", "展台经理"),
        ("Sales Director", "销售总监"),
        ("Solutions Architect", "解决方案架构师"),
    ],
    "vip": [
        ("Chairman", "董事长"),
        ("Founder", "创始人"),
        ("Former Prime Minister", "前总理"),
        ("Laureate", "获奖者"),
    ],
    "online": [("Student", "学生"), ("Developer", "开发者"), ("Analyst", "分析师"), ("Consultant", "顾问")],
}
REJECT_REASONS = ["Documents incomplete.", "Not eligible for this category.", "Duplicate registration."]
CANCEL_REASONS = ["Travel plans changed.", "Cannot attend in person.", ""]


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def _latin(text: str, *, cjk: bool = False) -> str:
    """Latin form of a name: itself for Latin script, else anyascii (one capital per name for CJK)."""
    if _is_latin(text):
        return text
    out = anyascii(text).replace("'", "").strip()
    if cjk:
        return out[:1].upper() + out[1:].lower()
    return " ".join(w[:1].upper() + w[1:] for w in out.split())


class NameMaker:
    """Faker generators per locale, seeded so a demo with the same seed is the same demo."""

    def __init__(self, seed: int):
        self.seed = seed
        self.fakers: dict[str, Faker] = {}

    def faker(self, locale: str) -> Faker:
        if locale not in self.fakers:
            # Only the providers used here: loading Faker's default set for ~70 locales takes seconds.
            f = Faker(locale, providers=["faker.providers.person", "faker.providers.phone_number"])
            f.seed_instance(f"{self.seed}-{locale}")
            self.fakers[locale] = f
        return self.fakers[locale]

    def person(self, locale: str, rng: random.Random) -> dict:
        f = self.faker(locale)
        male = rng.random() < 0.55
        if locale == "ja_JP":
            given, _, given_latin = f.first_name_male_pair() if male else f.first_name_female_pair()
            family, _, family_latin = f.last_name_pair()
            written = True  # Faker's own romanization, as a person would write it
        else:
            given = f.first_name_male() if male else f.first_name_female()
            family = f.last_name_male() if male else f.last_name_female()
            cjk = locale in FAMILY_FIRST_LOCALES
            given_latin, family_latin = _latin(given, cjk=cjk), _latin(family, cjk=cjk)
            written = False  # derived: shown only for scripts romanized reliably (core/names.py)
        return {
            "given_name": given,
            "family_name": family,
            "given_name_latin": given_latin,
            "family_name_latin": family_latin,
            "latin_given": written,
            "male": male,
            "name_order": Participant.FAMILY_FIRST
            if locale in FAMILY_FIRST_LOCALES
            else Participant.GIVEN_FIRST,
        }


class _Builder:
    def __init__(self, demo):
        self.n = demo.participants
        self.rng = demo.rng
        self.names = NameMaker(demo.seed)
        self.now = demo.now
        self.used_emails: set[str] = set()
        self.event = demo.event
        self.organizer = demo.staff["organizer@summit.example"]
        self.officer = demo.staff["officer@summit.example"]
        self.delegate_user = demo.staff["delegate@summit.example"]

    def build(self) -> list[Participant]:
        event = self.event
        self.categories = standard_categories(event)
        Category.objects.bulk_create(self.categories.values())
        self.orgs: dict[str, list[Organization]] = defaultdict(list)
        for org in Organization.objects.bulk_create(
            Organization(event=event, type=t, name=name, name_latin=latin, country=c)
            for t, name, latin, c in ORGANIZATIONS
        ):
            self.orgs[org.type].append(org)
        self.ministries: dict[str, Organization] = {}
        self._invitations()
        self._participants()
        self._audit()
        return self.people

    def _invitations(self):
        ev, cats = self.event, self.categories
        self.press = InvitationCode.objects.create(
            event=ev,
            code=PRESS_CODE,
            category=cats["media"],
            max_uses=500,
            note="Accredited press, 2027 summit",
        )
        self.vip = InvitationCode.objects.create(
            event=ev,
            code=VIP_CODE,
            category=cats["vip"],
            max_uses=200,
            note="Invited guests of the organizer",
        )
        InvitationCode.objects.create(
            event=ev,
            code="PRESS-EARLY-2027",
            category=cats["media"],
            max_uses=100,
            uses=12,
            expires_at=self.now - timedelta(days=14),
            note="Early press accreditation (expired)",
        )
        self.used_up = InvitationCode.objects.create(
            event=ev,
            code="EXPO-HANBIT",
            category=cats["exhibitor"],
            max_uses=1,
            uses=0,
            organization=next(o for o in self.orgs["company"] if o.name_latin.startswith("Hanbit")),
            note="Booth staff pass for Hanbit Networks (used)",
        )
        InvitationCode.objects.create(
            event=ev,
            code="EXPO-NORDLICHT",
            category=cats["exhibitor"],
            max_uses=10,
            organization=next(o for o in self.orgs["company"] if o.name_latin.startswith("Nordlicht")),
            note="Booth staff passes for Nordlicht Daten",
        )
        AuditEntry.objects.bulk_create(
            audit.entry(
                actor=self.organizer,
                action="invitation.created",
                obj=inv,
                event=ev,
                data={"category": inv.category.code, "max_uses": inv.max_uses},
                created_at=self.now - timedelta(days=90),
            )
            for inv in InvitationCode.objects.filter(event=ev).select_related("category")
        )

    # --- people ------------------------------------------------------------------------------------------

    def _country_sequence(self, count: int) -> list[str]:
        """About a third from China; every other country once (shuffled), then weighted by delegation size."""
        rng = self.rng
        pool = [c for c in COUNTRY_LOCALES if c != "CN"]
        rng.shuffle(pool)
        weights = [BIG_DELEGATIONS.get(c, 1) for c in pool]
        out, i = [], 0
        for _ in range(count):
            if rng.random() < 0.32:
                out.append("CN")
            elif i < len(pool):
                out.append(pool[i])
                i += 1
            else:
                out.append(rng.choices(pool, weights)[0])
        return out

    def _email(self, person: dict, domain: str) -> str:
        ascii_name = anyascii(f"{person['given_name_latin']}.{person['family_name_latin']}").lower()
        base = re.sub(r"[^a-z0-9]+", ".", ascii_name).strip(".")
        base = base or "delegate"
        email, k = f"{base}@{domain}", 1
        while email in self.used_emails:
            k += 1
            email = f"{base}{k}@{domain}"
        self.used_emails.add(email)
        return email

    def _ministry(self, country: str) -> Organization:
        if country not in self.ministries:
            from django_countries import countries

            own, latin = MINISTRY.get(country, (None, "Ministry of Digital Affairs"))
            latin = f"{latin} of {countries.name(country)}"
            self.ministries[country] = Organization.objects.create(
                event=self.event,
                type=Organization.GOVERNMENT,
                name=own or latin,
                name_latin=latin,
                country=country,
            )
        return self.ministries[country]

    def _organization(self, code: str, country: str) -> Organization | None:
        rng = self.rng
        if code == "government":
            return self._ministry(country)
        kind = {
            "international": "international",
            "company": "company",
            "exhibitor": "company",
            "research": "research",
            "media": "media",
        }.get(code)
        if kind is None:  # vip / online: sometimes an organization of any kind
            if rng.random() < 0.4:
                return None
            kind = rng.choice(["company", "research", "other", "international"])
        same = [o for o in self.orgs[kind] if o.country == country]
        return rng.choice(same) if same and rng.random() < 0.8 else rng.choice(self.orgs[kind])

    def _participants(self):
        rng, cats, now = self.rng, self.categories, self.now
        User = get_user_model()
        countries_seq = self._country_sequence(self.n)
        codes = list(CATEGORY_WEIGHTS)
        weights = list(CATEGORY_WEIGHTS.values())
        start = now - timedelta(days=120)
        step = timedelta(days=118) / max(self.n, 1)
        onsite_approved: Counter = Counter()
        waitlist: Counter = Counter()
        people: list[Participant] = []
        users: list = []

        # The delegate people can sign in as: an approved on-site company delegate.
        nordlicht = next(o for o in self.orgs["company"] if o.name_latin.startswith("Nordlicht"))
        delegate = Participant(
            event=self.event,
            user=self.delegate_user,
            email=self.delegate_user.email,
            given_name="Lena",
            family_name="Hoffmann",
            given_name_latin="Lena",
            family_name_latin="Hoffmann",
            title="Dr.",
            position="Head of Cloud Partnerships",
            organization=nordlicht,
            country="DE",
            category=cats["company"],
            attendance_mode=Participant.ONSITE,
            language="en",
            status=Participant.APPROVED,
            phone="+49 30 1234567",
            decided_at=now - timedelta(days=10),
            created_at=now - timedelta(days=40),
        )
        people.append(delegate)
        self.delegate_user.name = "Lena Hoffmann"
        User.objects.filter(pk=self.delegate_user.pk).update(name=self.delegate_user.name)
        onsite_approved["company"] += 1

        for i, country in enumerate(countries_seq):
            code = rng.choices(codes, weights)[0]
            category = cats[code]
            locale = rng.choice(COUNTRY_LOCALES.get(country, [NEUTRAL_LOCALE]))
            person = self.names.person(locale, rng)
            org = self._organization(code, country)
            created = start + step * i + timedelta(minutes=rng.randint(0, 600))
            email = self._email(person, rng.choice(["example.org", "example.com", "example.net"]))
            chinese = country in CHINESE_COUNTRIES
            language = "zh-hans" if (chinese and rng.random() < 0.9) or rng.random() < 0.04 else "en"
            en_pos, zh_pos = rng.choice(POSITIONS[code])
            title = ""
            if code in {"government", "vip"} and rng.random() < 0.3:
                title = "H.E."
            elif code == "research" and rng.random() < 0.7:
                title = rng.choice(["Prof.", "Dr."])
            elif rng.random() < 0.15:
                title = "Dr."
            elif rng.random() < 0.2:
                title = "Mr." if person["male"] else "Ms."

            if not category.allows_onsite:
                mode = Participant.ONLINE
            else:
                mode = Participant.ONLINE if rng.random() < 0.15 else Participant.ONSITE
            if not category.needs_approval:
                status = rng.choices([Participant.APPROVED, Participant.CANCELLED], [90, 10])[0]
            elif mode == Participant.ONLINE:
                status = rng.choices(
                    [
                        Participant.APPROVED,
                        Participant.SUBMITTED,
                        Participant.REJECTED,
                        Participant.CANCELLED,
                    ],
                    [60, 25, 8, 7],
                )[0]
            else:  # VIPs are mostly approved, so a full demo fills the VIP quota and waitlists the rest
                approved = 75 if code == "vip" else 55
                status = rng.choices(
                    [
                        Participant.APPROVED,
                        Participant.SUBMITTED,
                        Participant.WAITLISTED,
                        Participant.REJECTED,
                        Participant.CANCELLED,
                    ],
                    [approved, 22, 8, 8, 7],
                )[0]
            if status == Participant.APPROVED and mode == Participant.ONSITE:
                if category.onsite_quota is not None and onsite_approved[code] >= category.onsite_quota:
                    status = Participant.WAITLISTED
                else:
                    onsite_approved[code] += 1
            position = None
            if status == Participant.WAITLISTED:
                waitlist[code] += 1
                position = waitlist[code]
            decided = None
            if status != Participant.SUBMITTED:
                decided = min(created + timedelta(hours=rng.randint(2, 24 * 6)), now)
            reason = ""
            if status == Participant.REJECTED:
                reason = rng.choice(REJECT_REASONS)
            elif status == Participant.CANCELLED:
                reason = rng.choice(CANCEL_REASONS)

            invitation = None
            if code == "media" and self.press.uses < 400:
                invitation = self.press
                self.press.uses += 1
            elif code == "vip" and self.vip.uses < 150:
                invitation = self.vip
                self.vip.uses += 1
            elif (
                code == "exhibitor"
                and self.used_up.uses < 1
                and org
                and org.pk == self.used_up.organization_id
            ):
                invitation = self.used_up
                self.used_up.uses = 1

            user = User(
                email=email,
                name=f"{person['given_name_latin']} {person['family_name_latin']}",
                date_joined=created,
            )
            user.set_unusable_password()
            users.append(user)
            f = self.names.faker(locale)
            people.append(
                Participant(
                    event=self.event,
                    email=email,
                    title=title,
                    given_name=person["given_name"],
                    family_name=person["family_name"],
                    given_name_latin=person["given_name_latin"],
                    family_name_latin=person["family_name_latin"],
                    latin_given=person["latin_given"],
                    name_order=person["name_order"],
                    position=zh_pos if language == "zh-hans" else en_pos,
                    organization=org,
                    country=country,
                    phone=f.phone_number()[:40] if rng.random() < 0.7 else "",
                    category=category,
                    attendance_mode=mode,
                    language=language,
                    status=status,
                    outlet=(org.name if org else "Freelance") if code == "media" else "",
                    press_card_number=f"PC-{country}-{rng.randint(100000, 999999)}"
                    if code == "media"
                    else "",
                    invitation=invitation,
                    waitlist_position=position,
                    decision_reason=reason,
                    decided_at=decided,
                    created_at=created,
                )
            )
        if self.used_up.uses < 1:  # nobody of Hanbit came through: the code was still used once
            self.used_up.uses = 1
        User.objects.bulk_create(users, batch_size=500)
        for p, user in zip(people[1:], users, strict=True):
            p.user = user
        for p in people:
            p.search_text = p.build_search_text()
        self.people = Participant.objects.bulk_create(people, batch_size=500)
        for inv in (self.press, self.vip, self.used_up):
            InvitationCode.objects.filter(pk=inv.pk).update(uses=inv.uses)
        for code, top in waitlist.items():
            Category.objects.filter(pk=cats[code].pk).update(waitlist_seq=top)
        self.delegate = delegate

    def _audit(self):
        decided = [p for p in self.people if p.status in services.DECISION_STATUSES and p.decided_at and p.pk]
        sample = self.rng.sample(decided, min(len(decided), 200))
        AuditEntry.objects.bulk_create(
            audit.entry(
                actor=self.officer,
                action=f"participant.{p.status}",
                obj=p,
                event=self.event,
                reason=p.decision_reason,
                data={"from": Participant.SUBMITTED, "to": p.status},
                created_at=p.decided_at,
            )
            for p in sample
        )


def build(demo) -> None:
    demo.people = _Builder(demo).build()
    qs = Participant.objects.filter(event=demo.event)
    statuses = Counter(qs.values_list("status", flat=True))
    countries = qs.values("country").distinct().count()
    demo.summary.append(
        f"{qs.count()} participants from {countries} countries ("
        + ", ".join(f"{s} {statuses.get(s, 0)}" for s, _ in Participant.STATUS_CHOICES)
        + ")"
    )


def sheet(sheet, site: str) -> None:
    delegate = (
        Participant.objects.filter(event__slug=SLUG, email=DELEGATE_EMAIL)
        .select_related("event", "user")
        .first()
    )
    if delegate is None:
        return
    sheet.urls += [
        ("Registration", f"{site}/events/{SLUG}/register/"),
        ("Press invitation", f"{site}/events/{SLUG}/register/?code={PRESS_CODE}"),
        ("Back office", f"{site}/events/{SLUG}/manage/participants/"),
    ]
    # The demo delegate has a password, and links never sign in password accounts: show a link for the first
    # approved participant without one.
    if not accounts.link_allowed(delegate.user):
        people = Participant.objects.filter(event=delegate.event, status=Participant.APPROVED)
        people = people.select_related("event", "user").order_by("pk")[:50]
        delegate = next((p for p in people if accounts.link_allowed(p.user)), None)
        if delegate is None:
            return
    link = services.issue_magic_link(participant=delegate, base_url=site)
    sheet.notes.append(f"  One-time sign-in link for {delegate.email}:\n  {link}")
