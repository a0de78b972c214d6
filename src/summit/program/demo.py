"""The demo event's program: sub-forums, sessions, speakers, talks and bookings (part of ``summit demo``,
``core/demo.py``).

Everything is invented. Bookings are written with ``bulk_create`` for speed, so this module keeps by hand
every rule ``services.book`` enforces: only approved participants book; people who attend online only
take online places; no more on-site seats are booked than a session has, and only a full session has a
waitlist, numbered from the session's ``waitlist_seq`` in the order people joined; nobody holds two
overlapping sessions; online limits hold.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from summit.events.demo import SLUG
from summit.events.models import Event, Room, Zone
from summit.program.models import Booking, Forum, Session, Speaker, Talk
from summit.registration.demo import DELEGATE_EMAIL, POSITIONS
from summit.registration.models import Category, Organization, Participant

KEYNOTE, PANEL, WORKSHOP = "keynote", "panel", "workshop"

# (start, end) of the session slots of a day, local time. Day one opens with the summit's keynote alone.
SLOTS = [
    (time(9, 0), time(10, 30)),
    (time(11, 0), time(12, 30)),
    (time(14, 0), time(15, 30)),
    (time(16, 0), time(17, 30)),
]

# Halls the forums run in, and smaller rooms for workshops: (English, Chinese, seats), created if missing.
MAIN_HALL = ("Main Hall", "主会场", 1200)
HALLS = [
    ("Sub-forum Hall A", "分论坛A厅", 400),
    ("Sub-forum Hall B", "分论坛B厅", 300),
    ("Sub-forum Hall C", "分论坛C厅", 200),
    ("Sub-forum Hall D", "分论坛D厅", 120),
    ("Water Pavilion Hall", "水阁厅", 250),
    ("Covered Bridge Hall", "廊桥厅", 200),
]
WORKSHOP_ROOMS = [
    ("Lotus Room", "莲花厅", 80),
    ("Osmanthus Room", "桂花厅", 60),
    ("Bamboo Room", "翠竹厅", 60),
    ("Plum Blossom Room", "梅花厅", 50),
    ("Tea House Room", "茶楼厅", 50),
    ("Silk Room", "丝绸厅", 40),
]


@dataclass
class ForumSpec:
    slug: str
    topic: str
    host: str  # Latin name of one of the demo's organizations
    day: int
    title: tuple[str, str]
    description: tuple[str, str]
    keynotes: list[tuple[str, str]]  # keynote subjects, English and Chinese
    sessions: list[tuple[str, str, str, str, str]]  # kind, title en/zh, abstract en/zh


FORUMS = [
    ForumSpec(
        "cyberspace-governance",
        "governance",
        "Global Digital Cooperation Union",
        0,
        ("Cyberspace Governance Forum", "网络空间治理论坛"),
        (
            "Governments, international organizations and industry on the rules, norms and institutions that "
            "keep cyberspace open, secure and peaceful.",
            "各国政府、国际组织与产业界共同探讨维护网络空间开放、安全与和平的规则、规范和机制。",
        ),
        [
            ("A community with a shared future in cyberspace", "携手构建网络空间命运共同体"),
            ("Twenty years of internet governance: what worked", "互联网治理二十年：经验与启示"),
            ("Rules for a digital world that includes everyone", "让数字世界的规则惠及每个人"),
        ],
        [
            (
                KEYNOTE,
                "Opening keynotes: a shared future in cyberspace",
                "开幕主旨演讲：携手构建网络空间命运共同体",
                "Ministers and heads of international organizations open the summit; several address it by "
                "video from their capitals.",
                "多位部长和国际组织负责人为峰会开幕发表主旨演讲，部分嘉宾从本国首都通过视频致辞。",
            ),
            (
                PANEL,
                "Multilateral and multi-stakeholder: who writes the rules?",
                "多边与多方：谁来制定规则？",
                "How treaties, standards bodies, companies and civil society share the work of governing "
                "the internet, and where they get in each other's way.",
                "国际条约、标准组织、企业和社会组织如何分工协作治理互联网，又在哪些方面相互掣肘。",
            ),
            (
                PANEL,
                "Norms of responsible state behaviour in cyberspace",
                "网络空间负责任国家行为规范",
                "From agreed norms to practice: confidence-building measures, points of contact and "
                "reporting.",
                "从共识规范到具体实践：建立信任措施、联络点机制与报告制度。",
            ),
            (
                WORKSHOP,
                "Drafting a cyberspace cooperation agreement",
                "网络空间合作协议起草工作坊",
                "In small groups, participants draft the key clauses of a bilateral cooperation agreement "
                "and compare the results.",
                "参与者分组起草双边合作协议的核心条款，并相互比较成果。",
            ),
        ],
    ),
    ForumSpec(
        "digital-economy",
        "economy",
        "Hangzhou Shuzhi Technology Co., Ltd.",
        1,
        ("Digital Economy Forum", "数字经济论坛"),
        (
            "Platforms, trade and small businesses in a digital economy that now makes up a large part of "
            "global output.",
            "聚焦平台、贸易与中小企业，探讨在全球经济中占比日益提升的数字经济。",
        ),
        [
            ("New engines of growth", "增长的新引擎"),
            ("Digital trade without borders", "无界的数字贸易"),
            ("Small businesses on big platforms", "大平台上的中小企业"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: growth in the digital economy",
                "主旨演讲：数字经济的增长动能",
                "Business leaders and economists on where the next decade of growth will come from.",
                "企业领袖和经济学家共同展望未来十年的增长动力。",
            ),
            (
                PANEL,
                "Cross-border e-commerce: the next decade",
                "跨境电商的新十年",
                "Logistics, payments, customs and trust: what it takes for a small seller to reach buyers "
                "on another continent.",
                "物流、支付、通关与信任：中小卖家触达其他大洲的买家需要什么。",
            ),
            (
                PANEL,
                "Platforms, small businesses and fair competition",
                "平台经济、中小企业与公平竞争",
                "Regulators and platform operators discuss rules that keep markets open.",
                "监管机构与平台企业共同探讨保持市场开放的规则。",
            ),
            (
                WORKSHOP,
                "Digital payments for small exporters",
                "面向中小出口企业的数字支付实务",
                "A practical session on cross-border payment options, fees and compliance.",
                "跨境支付方式、费用与合规要求的实务讲解。",
            ),
        ],
    ),
    ForumSpec(
        "cyber-security",
        "security",
        "Global Cybersecurity Partnership",
        1,
        ("Cyber Security Forum", "网络安全论坛"),
        (
            "Protecting networks, infrastructure and people, and working together when incidents cross "
            "borders.",
            "保护网络、基础设施和用户安全，并在安全事件跨越国界时开展合作。",
        ),
        [
            ("Resilience by design", "安全始于设计"),
            ("Threats to critical infrastructure in 2027", "2027年关键基础设施面临的威胁"),
            ("Security as a shared responsibility", "网络安全是共同的责任"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: resilience by design",
                "主旨演讲：安全始于设计",
                "Security leaders on building systems that fail safely.",
                "安全领域的领军人物探讨如何构建失效时依然安全的系统。",
            ),
            (
                PANEL,
                "Protecting critical information infrastructure",
                "关键信息基础设施保护",
                "Energy, transport and finance operators compare how they defend essential services.",
                "能源、交通和金融运营者分享保障关键服务的做法。",
            ),
            (
                PANEL,
                "Incident response across borders",
                "跨境网络安全事件应急响应",
                "How national response teams share information fast enough to matter.",
                "各国应急响应团队如何足够迅速地共享信息。",
            ),
            (
                WORKSHOP,
                "Capture the flag: defending an industrial control network",
                "夺旗赛：工业控制网络攻防演练",
                "Teams defend a simulated water plant against a live attack. Bring a laptop.",
                "各队在实时攻击下保护一座模拟水厂。请自带笔记本电脑。",
            ),
        ],
    ),
    ForumSpec(
        "digital-health",
        "health",
        "Zhejiang Institute of Digital Science",
        0,
        ("Digital Health Forum", "数字健康论坛"),
        (
            "Telemedicine, health data and artificial intelligence in care, from city hospitals to village "
            "clinics.",
            "从城市医院到乡村诊所，探讨远程医疗、健康数据与人工智能在医疗中的应用。",
        ),
        [
            ("Health care anywhere", "随时随地的医疗健康服务"),
            ("Artificial intelligence at the bedside", "走进病房的人工智能"),
            ("Health data that patients can trust", "值得患者信任的健康数据"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: health care anywhere",
                "主旨演讲：随时随地的医疗健康服务",
                "Doctors, researchers and ministries on what digital tools change for patients.",
                "医生、研究人员和政府部门代表探讨数字工具为患者带来的改变。",
            ),
            (
                PANEL,
                "Telemedicine in rural areas",
                "乡村地区的远程医疗",
                "Connectivity, training and payment models that make remote consultations work.",
                "让远程问诊真正落地的网络连接、培训与支付模式。",
            ),
            (
                WORKSHOP,
                "Health data interoperability with open standards",
                "基于开放标准的医疗数据互操作",
                "Hands-on exchange of patient records between two systems using open standards.",
                "动手实践：基于开放标准在两个系统之间交换病历数据。",
            ),
        ],
    ),
    ForumSpec(
        "ai-ethics",
        "ai",
        "Qingyuan Artificial Intelligence Laboratory",
        1,
        ("Artificial Intelligence and Ethics Forum", "人工智能与伦理论坛"),
        (
            "Safety, transparency and fairness of artificial intelligence, and how to govern it across "
            "borders.",
            "探讨人工智能的安全、透明与公平，以及如何开展跨国治理。",
        ),
        [
            ("Trustworthy artificial intelligence", "可信人工智能"),
            ("Open models and their risks", "开放模型及其风险"),
            ("Artificial intelligence for development", "人工智能促进发展"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: trustworthy artificial intelligence",
                "主旨演讲：可信人工智能",
                "Researchers and policy makers on making AI systems safe and accountable.",
                "研究人员和政策制定者探讨如何让人工智能系统安全、可问责。",
            ),
            (
                PANEL,
                "Governing large models: safety, transparency, accountability",
                "大模型治理：安全、透明与问责",
                "Evaluation, disclosure and liability for general-purpose models.",
                "通用大模型的评测、信息披露与责任认定。",
            ),
            (
                PANEL,
                "Artificial intelligence for the Sustainable Development Goals",
                "人工智能助力可持续发展目标",
                "Projects in agriculture, education and climate that reached real users.",
                "在农业、教育和气候领域真正惠及用户的项目。",
            ),
            (
                WORKSHOP,
                "Red-teaming a language model",
                "大语言模型红队测试工作坊",
                "Participants probe a language model for harmful behaviour and write up their findings.",
                "参与者对大语言模型进行有害行为测试，并撰写测试报告。",
            ),
        ],
    ),
    ForumSpec(
        "data-governance",
        "governance",
        "Pacific Institute for Data Policy",
        0,
        ("Data Governance Forum", "数据治理论坛"),
        (
            "Data as a factor of production: sharing, protecting and moving it across borders.",
            "数据作为生产要素：共享、保护与跨境流动。",
        ),
        [
            ("Data as a factor of production", "数据作为生产要素"),
            ("Trust in cross-border data flows", "数据跨境流动中的信任"),
            ("Privacy by default", "默认保护隐私"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: data as a factor of production",
                "主旨演讲：数据作为生产要素",
                "How data markets, data trusts and public data platforms create value.",
                "数据市场、数据信托和公共数据平台如何创造价值。",
            ),
            (
                PANEL,
                "Cross-border data flows and trust",
                "数据跨境流动与信任",
                "Certification, contracts and agreements that let data move safely between jurisdictions.",
                "让数据在不同法域之间安全流动的认证、合同与协定。",
            ),
            (
                WORKSHOP,
                "Privacy engineering in practice",
                "隐私工程实践",
                "Techniques for anonymisation and privacy-preserving analytics, with exercises.",
                "匿名化与隐私保护计算技术讲解及练习。",
            ),
        ],
    ),
    ForumSpec(
        "digital-silk-road",
        "infrastructure",
        "Asia-Pacific Network Information Alliance",
        2,
        ("Digital Silk Road Forum", "数字丝绸之路论坛"),
        (
            "Cables, satellites, data centres and trade corridors connecting Asia, Africa and Europe.",
            "连接亚洲、非洲和欧洲的光缆、卫星、数据中心与贸易走廊。",
        ),
        [
            ("Connectivity for all", "让连接惠及所有人"),
            ("Infrastructure that lasts", "经久耐用的基础设施"),
            ("Digital corridors for trade", "数字贸易走廊"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: connectivity for all",
                "主旨演讲：让连接惠及所有人",
                "Operators and governments on closing the remaining connectivity gaps.",
                "运营商和政府代表探讨如何弥合剩余的连接鸿沟。",
            ),
            (
                PANEL,
                "Submarine cables, satellites and the last mile",
                "海底光缆、卫星与最后一公里",
                "Which technologies reach the unconnected at what cost.",
                "哪些技术能以何种成本覆盖尚未联网的人群。",
            ),
            (
                PANEL,
                "Digital trade corridors between Asia, Africa and Europe",
                "亚非欧数字贸易走廊",
                "Paperless customs, electronic invoices and logistics platforms along trade routes.",
                "贸易通道沿线的无纸化通关、电子发票与物流平台。",
            ),
            (
                WORKSHOP,
                "Planning rural broadband",
                "乡村宽带网络规划工作坊",
                "Plan a broadband network for a mountain county with real terrain and budget data.",
                "利用真实地形和预算数据，为一个山区县规划宽带网络。",
            ),
        ],
    ),
    ForumSpec(
        "internet-youth",
        "culture",
        "Digital Silk Road Youth Federation",
        1,
        ("Internet and Youth Forum", "互联网与青年论坛"),
        (
            "Young founders, students and educators on growing up online and building what comes next.",
            "青年创业者、学生和教育工作者谈在网络中成长以及创造未来。",
        ),
        [
            ("Growing up online", "在网络中成长"),
            ("The next billion users", "下一个十亿用户"),
            ("Skills for the digital decade", "数字十年所需的技能"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: growing up online",
                "主旨演讲：在网络中成长",
                "Young people and educators on safety, opportunity and wellbeing online.",
                "青年和教育工作者谈网络安全、发展机遇与身心健康。",
            ),
            (
                PANEL,
                "Young founders on building for the next billion users",
                "青年创业者谈面向下一个十亿用户的创新",
                "Founders under thirty on products for users coming online now.",
                "三十岁以下的创业者分享为新网民打造的产品。",
            ),
            (
                WORKSHOP,
                "Coding camp: build a mini program in 90 minutes",
                "编程营：90分钟开发一个小程序",
                "A guided coding session for beginners. Laptops are provided.",
                "面向初学者的编程指导课程。现场提供笔记本电脑。",
            ),
        ],
    ),
    ForumSpec(
        "open-source",
        "other",
        "Open Internet Society",
        2,
        ("Open Source Forum", "开源论坛"),
        (
            "Open source as shared infrastructure: communities, companies and the people who maintain it.",
            "开源是共享的基础设施：社区、企业以及维护它的人。",
        ),
        [
            ("Open source as shared infrastructure", "开源是共享的基础设施"),
            ("Who pays for the commons?", "谁为公共资源买单？"),
            ("Open standards and open code", "开放标准与开放代码"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: open source as shared infrastructure",
                "主旨演讲：开源是共享的基础设施",
                "Maintainers and foundations on the software everyone depends on.",
                "维护者和基金会代表谈人人依赖的软件。",
            ),
            (
                PANEL,
                "Sustaining maintainers",
                "如何支持开源维护者",
                "Funding, security audits and succession for critical open source projects.",
                "关键开源项目的资金、安全审计与传承。",
            ),
            (
                PANEL,
                "Open source in the cloud and the enterprise",
                "开源在云计算与企业中的应用",
                "Cloud providers and users on contributing back, licences and sovereignty.",
                "云服务商和用户探讨回馈社区、许可证与自主可控。",
            ),
            (
                WORKSHOP,
                "Your first contribution",
                "第一次开源贡献",
                "From finding an issue to a merged pull request, with mentors at every table.",
                "从发现问题到合并代码，每桌都有导师指导。",
            ),
        ],
    ),
    ForumSpec(
        "smart-cities",
        "infrastructure",
        "Wuzhen Cloud Computing Co., Ltd.",
        0,
        ("Smart Cities Forum", "智慧城市论坛"),
        (
            "Digital twins, sensors and services that make cities work better for the people who live in "
            "them.",
            "数字孪生、传感器与公共服务，让城市更好地服务居民。",
        ),
        [
            ("Cities that listen", "会倾听的城市"),
            ("The water town goes digital", "数字化的水乡"),
            ("Data for better streets", "用数据改善街道"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: cities that listen",
                "主旨演讲：会倾听的城市",
                "Mayors and planners on services built around residents.",
                "市长和规划者谈以居民为中心的城市服务。",
            ),
            (
                PANEL,
                "Digital twins for urban planning",
                "数字孪生与城市规划",
                "Modelling traffic, floods and energy before building anything.",
                "在动工之前对交通、洪水和能源进行模拟。",
            ),
            (
                WORKSHOP,
                "Wuzhen walkthrough: a smart water town",
                "实地走访：智慧水乡乌镇",
                "A guided walk through Wuzhen's digital services, from canal sensors to the visitor app. "
                "Meet at the room; the walk takes 90 minutes.",
                "实地参观乌镇的数字化服务，从河道传感器到游客应用。在会议室集合，全程90分钟。",
            ),
        ],
    ),
    ForumSpec(
        "digital-culture",
        "culture",
        "World Organisation for Digital Education",
        2,
        ("Digital Culture Forum", "数字文化论坛"),
        (
            "Heritage, creativity and learning in the digital age.",
            "数字时代的文化遗产、创意与学习。",
        ),
        [
            ("Heritage in the digital age", "数字时代的文化遗产"),
            ("Stories told by machines", "机器讲述的故事"),
            ("Learning without walls", "无边界的学习"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: heritage in the digital age",
                "主旨演讲：数字时代的文化遗产",
                "Curators, artists and educators on preserving and sharing culture online.",
                "策展人、艺术家和教育工作者谈文化的数字化保护与传播。",
            ),
            (
                PANEL,
                "Museums, games and virtual worlds",
                "博物馆、游戏与虚拟世界",
                "New ways to visit collections and tell history.",
                "参观藏品和讲述历史的新方式。",
            ),
            (
                PANEL,
                "Digital literacy for all ages",
                "全民数字素养",
                "Programmes that teach children and older people to use digital services safely.",
                "帮助儿童和老年人安全使用数字服务的项目。",
            ),
            (
                WORKSHOP,
                "Digitizing a local archive",
                "地方档案数字化工作坊",
                "Scanning, describing and publishing historical documents with free tools.",
                "使用免费工具扫描、著录和发布历史文献。",
            ),
        ],
    ),
    ForumSpec(
        "international-cooperation",
        "cooperation",
        "African Digital Development Council",
        2,
        ("International Cooperation Forum", "国际合作论坛"),
        (
            "Partnerships that bridge the digital divide: public infrastructure, skills and financing.",
            "弥合数字鸿沟的伙伴关系：公共基础设施、技能与融资。",
        ),
        [
            ("Bridging the digital divide", "弥合数字鸿沟"),
            ("Partnerships that deliver", "务实高效的伙伴关系"),
            ("Financing digital public goods", "为数字公共产品融资"),
        ],
        [
            (
                KEYNOTE,
                "Keynotes: bridging the digital divide",
                "主旨演讲：弥合数字鸿沟",
                "Development banks, governments and agencies on what cooperation has achieved.",
                "开发银行、政府和国际机构谈合作取得的成果。",
            ),
            (
                PANEL,
                "South-South cooperation on digital public infrastructure",
                "数字公共基础设施领域的南南合作",
                "Identity, payments and data exchange systems shared between countries.",
                "各国之间共享的身份认证、支付和数据交换系统。",
            ),
            (
                PANEL,
                "Capacity building: skills, standards and financing",
                "能力建设：技能、标准与融资",
                "Training programmes and funds that strengthen digital institutions.",
                "加强数字领域机构能力的培训项目和基金。",
            ),
            (
                WORKSHOP,
                "Designing a joint project proposal",
                "联合项目申报设计工作坊",
                "Partners from different countries draft a proposal for a cooperation fund.",
                "来自不同国家的合作伙伴共同起草合作基金的项目申请书。",
            ),
        ],
    ),
]

# People who speak by video and are not registered: (name, Latin name, affiliation, role en, role zh).
REMOTE_SPEAKERS = [
    ("Amara Nwosu", "Amara Nwosu", "African Digital Development Council", "Secretary-General", "秘书长"),
    ("Sofía Castillo", "Sofía Castillo", "Latin American Connectivity Council", "President", "主席"),
    (
        "Henrik Lindqvist",
        "Henrik Lindqvist",
        "Global Digital Cooperation Union",
        "Director of Policy",
        "政策主任",
    ),
    ("Priya Raman", "Priya Raman", "Ganga Cloud Services Pvt. Ltd.", "Chief Executive Officer", "首席执行官"),
    ("Kwame Mensah", "Kwame Mensah", "Foundation for Digital Inclusion", "Founder", "创始人"),
    (
        "Isabelle Laurent",
        "Isabelle Laurent",
        "World Organisation for Digital Education",
        "Director-General",
        "总干事",
    ),
    ("يوسف الحكيم", "Yusuf Al-Hakim", "Digital Oasis Company", "Chairman", "董事长"),
    ("Олег Воронцов", "Oleg Vorontsov", "Lazur Soft", "Chief Scientist", "首席科学家"),
    ("渡辺健二", "Watanabe Kenji", "Toto Institute of Information Science", "Professor", "教授"),
    ("이서연", "Lee Seo-yeon", "Hanbit Networks Co., Ltd.", "Head of Research", "研究负责人"),
    (
        "Tomás Oliveira",
        "Tomás Oliveira",
        "Solaris Energia Digital Ltda.",
        "Chief Technology Officer",
        "首席技术官",
    ),
    ("Emily Carter", "Emily Carter", "Pacific Institute for Data Policy", "Senior Fellow", "高级研究员"),
    ("陈嘉怡", "Chen Jiayi", "Asia-Pacific Network Information Alliance", "Executive Director", "执行主任"),
    (
        "Marek Nowak",
        "Marek Nowak",
        "Global Cybersecurity Partnership",
        "Head of Threat Intelligence",
        "威胁情报负责人",
    ),
]

# The remote speakers' affiliations in Chinese.
REMOTE_AFFILIATIONS_ZH = {
    "African Digital Development Council": "非洲数字发展理事会",
    "Latin American Connectivity Council": "拉丁美洲互联互通理事会",
    "Global Digital Cooperation Union": "全球数字合作联盟",
    "Ganga Cloud Services Pvt. Ltd.": "恒河云服务有限公司",
    "Foundation for Digital Inclusion": "数字包容基金会",
    "World Organisation for Digital Education": "世界数字教育组织",
    "Digital Oasis Company": "数字绿洲公司",
    "Lazur Soft": "蔚蓝软件公司",
    "Toto Institute of Information Science": "东都信息科学研究所",
    "Hanbit Networks Co., Ltd.": "韩光网络株式会社",
    "Solaris Energia Digital Ltda.": "索拉里斯数字能源有限公司",
    "Pacific Institute for Data Policy": "太平洋数据政策研究所",
    "Asia-Pacific Network Information Alliance": "亚太网络信息联盟",
    "Global Cybersecurity Partnership": "全球网络安全伙伴关系",
}

DELEGATE_BIO = (
    "Dr. Lena Hoffmann leads cloud partnerships at Nordlicht Daten GmbH in Berlin. She works on sovereign "
    "cloud services and on open standards for exchanging data between European and Asian companies, and "
    "contributes to several open source projects for cloud infrastructure.",
    "莉娜·霍夫曼博士现任Nordlicht Daten公司云合作负责人，常驻柏林，致力于主权云服务以及欧亚企业间数据交换的"
    "开放标准，并参与多个云基础设施开源项目。",
)
# The delegate speaks in one session, holds two seats and waits for a seat in a third (session keys).
DELEGATE_TALK = "open-source/2"
DELEGATE_SEATS = ["cyberspace-governance/0", "data-governance/1"]
DELEGATE_WAITLIST = "ai-ethics/3"
# Sessions that fill up and have a waitlist, and sessions that are nearly full.
FULL = ["smart-cities/2", "ai-ethics/3", "open-source/3"]
NEARLY_FULL = ["cyberspace-governance/0", "ai-ethics/1", "cyber-security/2", "digital-culture/1"]
SPEAKER_CATEGORIES = {"government", "international", "company", "research", "vip"}
# Bookings were made over the nine days before the demo was built; only people approved by then book.
BOOKING_PERIOD = timedelta(days=9)


@dataclass
class Plan:
    """A session being built, with what is known about it before it is saved."""

    key: str
    kind: str
    session: Session
    overlaps: set[str] = field(default_factory=set)


def build(demo) -> None:
    counts = build_program(demo.event, demo.people, rng=demo.rng, now=demo.now)
    demo.summary.append(f"{counts['forums']} forums and {counts['sessions']} sessions")


def sheet(sheet, site: str) -> None:
    if Session.objects.filter(event__slug=SLUG).exists():
        sheet.urls.append(("Program", f"{site}/events/{SLUG}/program/"))


def build_program(event: Event, participants: list[Participant], *, rng: random.Random, now=None) -> dict:
    """Create the demo program of ``event`` and its bookings; returns counts of what was created."""
    now = now or timezone.now()
    builder = _ProgramBuilder(event, participants, rng, now)
    return builder.build()


class _ProgramBuilder:
    def __init__(self, event, participants, rng, now):
        self.event, self.rng, self.now = event, rng, now
        self.people = [p for p in participants if p.pk]
        self.delegate = next((p for p in self.people if p.email == DELEGATE_EMAIL), None)
        self.tz = event.tz

    def build(self) -> dict:
        self._rooms()
        self._forums()
        self._sessions()
        self._speakers_and_talks()
        counts = self._bookings()
        return {"forums": len(self.forums), "sessions": len(self.plans), **counts}

    # --- rooms, forums, sessions -------------------------------------------------------------------------

    def _room(self, spec) -> Room:
        name_en, name_zh, seats = spec
        room = self.rooms.get(name_en)
        if room is None:
            zone = Zone.objects.filter(event=self.event, code="forums").first()
            room = Room.objects.create(
                event=self.event, name_en=name_en, name_zh=name_zh, capacity=seats, zone=zone
            )
            self.rooms[name_en] = room
        return room

    def _rooms(self):
        self.rooms = {r.name_en: r for r in Room.objects.filter(event=self.event)}
        first = self.event.start.astimezone(self.tz).date()
        last = self.event.end.astimezone(self.tz).date()
        self.days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def _forums(self):
        orgs = {o.name_latin: o for o in Organization.objects.filter(event=self.event)}
        self.forums = Forum.objects.bulk_create(
            Forum(
                event=self.event,
                slug=spec.slug,
                title_en=spec.title[0],
                title_zh=spec.title[1],
                description_en=spec.description[0],
                description_zh=spec.description[1],
                topic=spec.topic,
                host_organization=orgs.get(spec.host),
                order=order,
            )
            for order, spec in enumerate(FORUMS)
        )

    def _at(self, day: int, clock: time) -> datetime:
        return datetime.combine(self.days[day], clock, tzinfo=self.tz)

    def _sessions(self):
        rng = self.rng
        by_day: dict[int, list[int]] = defaultdict(list)
        for i, spec in enumerate(FORUMS):
            by_day[min(spec.day, len(self.days) - 1)].append(i)
        self.plans: dict[str, Plan] = {}
        for day, indexes in sorted(by_day.items()):
            for j, i in enumerate(indexes):
                spec, forum = FORUMS[i], self.forums[i]
                hall = self._room(HALLS[j % len(HALLS)])
                forum.room = hall
                opening = day == 0 and i == 0
                n = len(spec.sessions)
                first = 0 if opening or day > 0 or n >= len(SLOTS) else 1
                slots = SLOTS[first : first + n]
                for k, ((kind, t_en, t_zh, a_en, a_zh), (begin, end)) in enumerate(
                    zip(spec.sessions, slots, strict=False)
                ):
                    room = hall
                    if opening and k == 0:
                        room = self._room(MAIN_HALL)
                    elif kind == WORKSHOP:
                        room = self._room(WORKSHOP_ROOMS[j % len(WORKSHOP_ROOMS)])
                    key = f"{spec.slug}/{k}"
                    session = Session(
                        event=self.event,
                        forum=forum,
                        title_en=t_en,
                        title_zh=t_zh,
                        abstract_en=a_en,
                        abstract_zh=a_zh,
                        start=self._at(day, begin),
                        end=self._at(day, end),
                        room=room,
                        capacity=self._capacity(key, kind, room),
                        created_at=self.now - timedelta(days=60),
                        **self._languages(kind),
                    )
                    session.online = kind != WORKSHOP or key == "open-source/3"
                    if kind == PANEL and rng.random() < 0.2:
                        session.online_limit = rng.choice([100, 150, 200])
                    self.plans[key] = Plan(key, kind, session)
        Forum.objects.bulk_update(self.forums, ["room"])
        Session.objects.bulk_create(plan.session for plan in self.plans.values())
        for plan in self.plans.values():
            plan.overlaps = {
                other.key for other in self.plans.values() if other.session.overlaps(plan.session)
            }

    def _capacity(self, key: str, kind: str, room: Room) -> int:
        rng = self.rng
        if key in FULL:
            return 40
        if kind == WORKSHOP:
            return min(room.capacity, rng.choice([40, 50, 60, 80]))
        if key == "cyberspace-governance/0":
            return 400
        seats = int(room.capacity * rng.uniform(0.6, 1.0)) // 10 * 10
        return max(40, min(400, seats))

    def _languages(self, kind: str) -> dict:
        rng = self.rng
        if kind == KEYNOTE:
            return {"languages": ["zh", "en"], "interpretation": True}
        if kind == WORKSHOP:
            return {"languages": [rng.choice(["en", "zh"])], "interpretation": False}
        languages = rng.choices(
            [
                ["en", "zh"],
                ["en"],
                ["zh"],
                ["en", "fr"],
                ["en", "ru"],
                ["en", "es"],
                ["en", "ar"],
                ["zh", "en", "ru"],
            ],
            [30, 20, 15, 8, 8, 6, 6, 7],
        )[0]
        return {"languages": languages, "interpretation": len(languages) > 1 or rng.random() < 0.4}

    # --- speakers and talks ------------------------------------------------------------------------------

    def _speakers_and_talks(self):
        rng = self.rng
        positions = {}
        for pairs in POSITIONS.values():
            for en, zh in pairs:
                positions[en] = positions[zh] = (en, zh)
        codes = dict(Category.objects.filter(event=self.event).values_list("pk", "code"))
        candidates = [
            p
            for p in self.people
            if p.status == Participant.APPROVED
            and codes.get(p.category_id) in SPEAKER_CATEGORIES
            and p.organization_id
            and p is not self.delegate
        ]
        rng.shuffle(candidates)
        chosen = candidates[:80]
        if self.delegate is not None:
            chosen.append(self.delegate)
        speakers = []
        for p in chosen:
            org = p.organization
            native = _native_name(p)
            latin = _latin_name(p) or native
            if p is self.delegate:
                bio_en, bio_zh = DELEGATE_BIO
            else:
                pos_en, pos_zh = positions.get(p.position, (p.position, p.position))
                org_zh = org.name if _has_cjk(org.name) else org.name_latin
                title = f"{p.title} " if p.title in ("Dr.", "Prof.", "H.E.") else ""
                bio_en = f"{title}{latin}, {pos_en}, {org.name_latin}".rstrip(".") + "."
                bio_zh = f"{native}，{org_zh}{pos_zh}。"
            speakers.append(
                Speaker(
                    event=self.event,
                    participant=p,
                    name=native,
                    name_latin=latin,
                    affiliation=org.name_latin,
                    affiliation_zh=org.name if _has_cjk(org.name) else "",
                    bio_en=bio_en,
                    bio_zh=bio_zh,
                    remote=p.attendance_mode == Participant.ONLINE,
                    created_at=self.now - timedelta(days=30),
                )
            )
        for name, latin, affiliation, role_en, role_zh in REMOTE_SPEAKERS:
            speakers.append(
                Speaker(
                    event=self.event,
                    name=name,
                    name_latin=latin,
                    affiliation=affiliation,
                    affiliation_zh=REMOTE_AFFILIATIONS_ZH.get(affiliation, ""),
                    bio_en=f"{latin}, {role_en}, {affiliation}, addresses the summit by video.",
                    bio_zh=f"{name}，{REMOTE_AFFILIATIONS_ZH.get(affiliation, affiliation)}{role_zh}，通过视频参会。",
                    remote=True,
                    created_at=self.now - timedelta(days=30),
                )
            )
        speakers = Speaker.objects.bulk_create(speakers)
        local = [s for s in speakers if s.participant_id and s.participant is not self.delegate]
        remote = [s for s in speakers if s.participant_id is None]
        delegate_speaker = next((s for s in speakers if s.participant is self.delegate), None)
        busy: dict[int, set[str]] = defaultdict(set)  # speaker → keys of the sessions they speak in
        if delegate_speaker is not None and DELEGATE_TALK in self.plans:
            busy[delegate_speaker.pk].add(DELEGATE_TALK)

        def pick(pool, plan, count):
            out = []
            for s in rng.sample(pool, len(pool)):
                if len(out) == count:
                    break
                if not busy[s.pk] & plan.overlaps:
                    busy[s.pk].add(plan.key)
                    out.append(s)
            return out

        talks, links = [], []
        moderators = defaultdict(list)
        for plan in self.plans.values():
            spec = next(f for f in FORUMS if plan.key.startswith(f"{f.slug}/"))
            items = []  # (title en, title zh, minutes, speakers)
            if plan.kind == KEYNOTE:
                opening = pick(local, plan, 1)
                items.append(("Opening remarks", "开幕致辞", 10, opening))
                videos = 2 if plan.key == "cyberspace-governance/0" else 1
                for n, (subject_en, subject_zh) in enumerate(spec.keynotes):
                    if n < videos:
                        who = pick(remote, plan, 1)
                        items.append((f"Video address: {subject_en}", f"视频致辞：{subject_zh}", 25, who))
                    else:
                        who = pick(local, plan, 1)
                        items.append((f"Keynote: {subject_en}", f"主旨演讲：{subject_zh}", 25, who))
            elif plan.kind == PANEL:
                moderator = pick(local, plan, 1)
                moderators[plan.session.forum_id] += [s.participant_id for s in moderator]
                panel = pick(local, plan, rng.randint(3, 4))
                if plan.key == DELEGATE_TALK and delegate_speaker is not None:
                    panel.append(delegate_speaker)
                elif rng.random() < 0.3:
                    panel += pick(remote, plan, 1)
                items.append(("Introduction by the moderator", "主持人开场", 10, moderator))
                items.append(
                    (
                        f"Panel discussion: {plan.session.title_en}",
                        f"圆桌讨论：{plan.session.title_zh}",
                        65,
                        panel,
                    )
                )
                items.append(("Questions from the audience", "观众问答", 15, moderator))
            else:
                trainers = pick(local, plan, 2)
                items.append(("Introduction and setup", "介绍与准备", 15, trainers[:1]))
                items.append(("Hands-on session", "实践环节", 60, trainers))
                items.append(("Results and wrap-up", "成果展示与总结", 15, trainers[-1:]))
            for order, (t_en, t_zh, minutes, who) in enumerate(items):
                talk = Talk(session=plan.session, order=order, title_en=t_en, title_zh=t_zh, minutes=minutes)
                talks.append(talk)
                links.append((talk, who))
        Talk.objects.bulk_create(talks)
        Through = Talk.speakers.through
        Through.objects.bulk_create(
            {
                (talk.pk, s.pk): Through(talk_id=talk.pk, speaker_id=s.pk) for talk, who in links for s in who
            }.values()
        )
        ModeratorLink = Forum.moderators.through
        ModeratorLink.objects.bulk_create(
            ModeratorLink(forum_id=forum_id, participant_id=pid)
            for forum_id, pids in moderators.items()
            for pid in dict.fromkeys(pids)
        )
        self.speakers = speakers

    # --- bookings ----------------------------------------------------------------------------------------

    def _bookings(self) -> dict:
        rng, now = self.rng, self.now
        since = now - BOOKING_PERIOD
        approved = [
            p
            for p in self.people
            if p.status == Participant.APPROVED and p.decided_at is not None and p.decided_at <= since
        ]
        onsite = [p for p in approved if p.attendance_mode == Participant.ONSITE and p is not self.delegate]
        online = [p for p in approved if p.attendance_mode == Participant.ONLINE]
        held: dict[int, set[str]] = defaultdict(set)  # participant → keys of the sessions they hold
        rows: list[Booking] = []
        seq: dict[str, int] = {}

        delegate = self.delegate
        wants = {}
        if delegate is not None and delegate.status == Participant.APPROVED:
            if DELEGATE_TALK in self.plans:  # she does not book against the session she speaks in
                held[delegate.pk].add(DELEGATE_TALK)
            wants = {key: delegate for key in [*DELEGATE_SEATS, DELEGATE_WAITLIST] if key in self.plans}

        def free(p, plan):
            return not held[p.pk] & plan.overlaps

        order = [k for k in FULL if k in self.plans]
        order += [k for k in NEARLY_FULL if k in self.plans and k not in order]
        order += [k for k in self.plans if k not in order]
        for key in order:
            plan = self.plans[key]
            session = plan.session
            if key in FULL:
                target = session.capacity + rng.randint(5, 12)
            elif key in NEARLY_FULL:
                target = min(session.capacity - 1, int(session.capacity * rng.uniform(0.9, 0.98)))
            else:
                target = int(session.capacity * rng.uniform(0.15, 0.75))
            queue = []
            for p in rng.sample(onsite, len(onsite)):
                if len(queue) >= target:
                    break
                if free(p, plan):
                    queue.append(p)
            mine = wants.get(key)
            if mine is not None and free(mine, plan):
                if key == DELEGATE_WAITLIST:  # joins once the session is full: third on the waitlist
                    queue.insert(min(len(queue), session.capacity + 2), mine)
                else:  # books a seat: somewhere among the first ``capacity``
                    queue.insert(rng.randint(0, min(len(queue), session.capacity - 1)), mine)
                    if key not in FULL:
                        del queue[session.capacity :]
            times = sorted(since + (now - since) * rng.random() for _ in queue)
            for n, (p, at) in enumerate(zip(queue, times, strict=True)):
                held[p.pk].add(key)
                booking = Booking(session=session, participant=p, mode=Booking.ONSITE, created_at=at)
                if n < session.capacity:
                    booking.status = Booking.BOOKED
                else:
                    seq[key] = seq.get(key, 0) + 1
                    booking.status, booking.waitlist_position = Booking.WAITLISTED, seq[key]
                rows.append(booking)
            # Some people booked a seat here and gave it up again before anyone had to wait for one.
            if key not in seq:
                for p in rng.sample(onsite, min(len(onsite), rng.randint(0, 3))):
                    if key in held[p.pk]:
                        continue
                    at = since + (now - since) * rng.random()
                    rows.append(
                        Booking(
                            session=session,
                            participant=p,
                            mode=Booking.ONSITE,
                            status=Booking.CANCELLED,
                            created_at=at,
                            cancelled_at=at + (now - at) * rng.random(),
                        )
                    )

        # Online places: people attending online, and a few on-site people following a session remotely.
        online_taken: dict[str, int] = defaultdict(int)
        streamed = [plan for plan in self.plans.values() if plan.session.online]
        followers = online + [p for p in onsite if rng.random() < 0.1]
        for p in followers:
            wanted = 1 if p.attendance_mode == Participant.ONSITE else rng.randint(1, 5)
            for plan in rng.sample(streamed, len(streamed)):
                if wanted == 0:
                    break
                limit = plan.session.online_limit
                if not free(p, plan) or (limit is not None and online_taken[plan.key] >= limit):
                    continue
                held[p.pk].add(plan.key)
                online_taken[plan.key] += 1
                wanted -= 1
                rows.append(
                    Booking(
                        session=plan.session,
                        participant=p,
                        mode=Booking.ONLINE,
                        status=Booking.BOOKED,
                        created_at=since + (now - since) * rng.random(),
                    )
                )
        Booking.objects.bulk_create(rows, batch_size=1000)
        for key, top in seq.items():
            Session.objects.filter(pk=self.plans[key].session.pk).update(waitlist_seq=top)
            self.plans[key].session.waitlist_seq = top
        statuses = defaultdict(int)
        for b in rows:
            statuses[b.status] += 1
        return {"bookings": statuses[Booking.BOOKED], "waitlisted": statuses[Booking.WAITLISTED]}


def _has_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


def _native_name(p: Participant) -> str:
    if p.name_order == Participant.FAMILY_FIRST:
        glue = "" if _has_cjk(p.family_name) else " "
        return f"{p.family_name}{glue}{p.given_name}"
    return f"{p.given_name} {p.family_name}"


def _latin_name(p: Participant) -> str:
    given, family = p.shown_given_name_latin, p.shown_family_name_latin  # never an invented one
    if p.name_order == Participant.FAMILY_FIRST:
        return f"{family} {given}".strip()
    return f"{given} {family}".strip()
