"""Generate grid-registry's reference data (category taxonomy, departments, responsibility rules).

Run once by a developer, output committed, so CI and images need no ../shared:

    .venv/bin/python -m tools.gen_registry_seed [--shared ../shared/data]

Inputs (public data, see ../shared/data/README.md): cn_petition_category_taxonomy.csv (2020 TipDM
Cup taxonomy, 15 top-level classes) and the two NYC 311 one-day slices (complaint types and the
agency that handled them). Outputs services/gridplus/grid_registry/seed/{categories,departments,
responsibility}.csv. The priority/SLA policy below is documented in that folder's README.
"""

from __future__ import annotations

import argparse
import collections
import csv
import re
from pathlib import Path

from tools.registry_seed_names import ENGLISH, NYC_TYPES, TOP_LEVEL

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "services" / "gridplus" / "grid_registry" / "seed"
NYC_FILES = (
    ("nyc311_2013-12-25_nikeiubel.csv", "Complaint Type", "Agency"),
    ("nyc311_2025-10-13_mohrum12.csv", "complaint_type", "agency"),
)
OTHER = ("other", "其他", "Other")

# Priority tiers: (verify minutes, handle minutes, business calendar).
TIERS: dict[str, tuple[int, int, bool]] = {
    "urgent": (30, 240, False),  # danger to people or loss of heat/water/power: wall clock
    "high": (120, 1440, False),  # nuisance affecting daily life now (noise, sanitation, traffic)
    "normal": (480, 2400, True),  # one working day to verify, five to handle
    "low": (960, 7200, True),  # administrative requests: two and fifteen working days
}
TOP_PRIORITY = {
    "party_government_affairs": "low",
    "economic_management": "low",
    "discipline_inspection": "low",
    "science_technology_it": "low",
}
CN_URGENT = set(
    [
        "事故处理",
        "安全隐患",
        "燃气供应",
        "自来水供应",
        "电力供应",
        "冬季采暖",
        "施工安全",
        "消防安全",
        "疫情防控",
        "突发公共卫生事件处理",
        "危险化学品污染",
        "放射性污染",
        "食品安全",
        "校园安全",
        "防汛抗旱",
        "交通事故",
        "特种设备管理",
        "森林防火",
        "拐卖人口",
    ]
)
CN_HIGH = set(
    [
        "安全生产",
        "噪音污染",
        "大气污染",
        "水污染",
        "环境卫生",
        "治安案件",
        "社会治安",
        "工资发放",
        "农民工权益",
        "拖欠工程款",
        "城市公共设施",
        "基础设施",
        "生活无着人员救助",
        "医疗救助",
        "医疗事故争议",
        "运输安全",
        "交通安全管理",
        "动物防疫",
        "劳动安全",
        "公共汽车",
        "地铁城铁",
        "物业服务",
        "违章建筑",
        "城管执法",
    ]
)
NYC_URGENT = set(
    [
        "heating",
        "heat_hot_water",
        "water_system",
        "water_leak",
        "elevator",
        "boilers",
        "electric",
        "hazardous_materials",
        "indoor_sewage",
        "sewer",
        "traffic_signal_condition",
        "food_poisoning",
    ]
)
NYC_HIGH = set(
    [
        "blocked_driveway",
        "illegal_parking",
        "street_condition",
        "street_light_condition",
        "dead_animal",
        "rodent",
        "sanitation_condition",
        "dirty_condition",
        "dirty_conditions",
        "encampment",
        "homeless_person_assistance",
        "drug_activity",
        "animal_abuse",
        "unsanitary_condition",
        "plumbing",
        "mold",
        "indoor_air_quality",
        "air_quality",
        "damaged_tree",
        "lead",
        "illegal_fireworks",
        "street_sign_dangling",
        "snow",
        "highway_condition",
    ]
)
NYC_LOW = set(
    [
        "dof_literature_request",
        "dot_literature_request",
        "benefit_card_replacement",
        "dpr_internal",
        "igr",
        "scrie",
        "ferry_permit",
        "lost_property",
        "water_conservation",
        "fire_safety_director_f58",
    ]
)

# code -> (Chinese name, English name); NYC agencies keep their own acronyms as codes.
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "NYPD": ("纽约市警察局", "New York City Police Department"),
    "DSNY": ("纽约市环卫局", "Department of Sanitation"),
    "DOT": ("纽约市交通局", "Department of Transportation"),
    "DEP": ("纽约市环境保护局", "Department of Environmental Protection"),
    "HPD": ("纽约市房屋保护与发展局", "Department of Housing Preservation and Development"),
    "DPR": ("纽约市公园与康乐局", "Department of Parks and Recreation"),
    "DOB": ("纽约市建筑局", "Department of Buildings"),
    "DOHMH": ("纽约市卫生与心理卫生局", "Department of Health and Mental Hygiene"),
    "HRA": ("纽约市人力资源管理局", "Human Resources Administration"),
    "DOF": ("纽约市财政局", "Department of Finance"),
    "DCA": ("纽约市消费者事务局", "Department of Consumer Affairs"),
    "TLC": ("纽约市出租车与豪华轿车委员会", "Taxi and Limousine Commission"),
    "EDC": ("纽约市经济发展公司", "Economic Development Corporation"),
    "FDNY": ("纽约市消防局", "Fire Department of New York"),
    "DHS": ("纽约市无家可归者服务局", "Department of Homeless Services"),
    "OOS": ("纽约市治安官办公室", "Office of the Sheriff"),
    "cn_urban_management": ("城管局", "Urban Management Bureau"),
    "cn_housing_construction": ("住建局", "Housing and Urban-Rural Development Bureau"),
    "cn_human_resources": ("人社局", "Human Resources and Social Security Bureau"),
    "cn_education": ("教育局", "Education Bureau"),
    "cn_health": ("卫健委", "Health Commission"),
    "cn_transport": ("交通运输局", "Transport Bureau"),
    "cn_commerce": ("商务局", "Commerce Bureau"),
    "cn_ecology_environment": ("生态环境局", "Ecology and Environment Bureau"),
    "cn_civil_affairs": ("民政局", "Civil Affairs Bureau"),
    "cn_agriculture_rural": ("农业农村局", "Agriculture and Rural Affairs Bureau"),
    "cn_public_security": ("公安局", "Public Security Bureau"),
    "cn_natural_resources": ("自然资源局", "Natural Resources Bureau"),
    "cn_discipline_supervision": ("纪委监委", "Discipline Inspection and Supervision Commission"),
    "cn_industry_it": ("工信局", "Industry and Information Technology Bureau"),
    "cn_development_reform": ("发改委", "Development and Reform Commission"),
    "cn_market_regulation": ("市场监管局", "Market Regulation Bureau"),
    "cn_justice": ("司法局", "Justice Bureau"),
    "cn_culture_tourism": ("文旅局", "Culture and Tourism Bureau"),
    "cn_water_affairs": ("水务局", "Water Affairs Bureau"),
    "cn_government_service": ("政务服务中心", "Government Service Centre"),
}
# Top-level class -> department; then (top, 二级分类 name) -> department where a level-2 class
# belongs elsewhere (traffic police, market regulation ...). Most specific rule wins.
TOP_RULES = {
    "urban_rural_construction": "cn_housing_construction",
    "agriculture_rural": "cn_agriculture_rural",
    "politics_law": "cn_public_security",
    "education_culture_sports": "cn_education",
    "labour_social_security": "cn_human_resources",
    "civil_affairs": "cn_civil_affairs",
    "party_government_affairs": "cn_government_service",
    "economic_management": "cn_development_reform",
    "health_family_planning": "cn_health",
    "commerce_tourism": "cn_commerce",
    "environmental_protection": "cn_ecology_environment",
    "transport": "cn_transport",
    "discipline_inspection": "cn_discipline_supervision",
    "land_resources": "cn_natural_resources",
    "science_technology_it": "cn_industry_it",
    "other": "cn_government_service",
}
LEVEL2_RULES = {
    ("urban_rural_construction", "城市建设和市政管理"): "cn_urban_management",
    ("agriculture_rural", "林业管理"): "cn_natural_resources",
    ("agriculture_rural", "水利水电"): "cn_water_affairs",
    ("politics_law", "法律服务"): "cn_justice",
    ("politics_law", "法制建设"): "cn_justice",
    ("politics_law", "仲裁与调解"): "cn_justice",
    ("education_culture_sports", "文化"): "cn_culture_tourism",
    ("education_culture_sports", "体育"): "cn_culture_tourism",
    ("education_culture_sports", "文物管理"): "cn_culture_tourism",
    ("health_family_planning", "食品药品监管"): "cn_market_regulation",
    ("commerce_tourism", "旅游管理"): "cn_culture_tourism",
    ("commerce_tourism", "市场监管"): "cn_market_regulation",
    ("commerce_tourism", "质监检验检疫"): "cn_market_regulation",
}

CATEGORY_FIELDS = [
    "code",
    "name_zh",
    "name_en",
    "top_level_code",
    "parent_code",
    "priority",
    "verify_sla_minutes",
    "handle_sla_minutes",
    "business_calendar",
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _category(
    code: str, zh: str, en: str, top: str, parent: str, priority: str
) -> dict[str, object]:
    verify, handle, business = TIERS[priority]
    return dict(
        zip(
            CATEGORY_FIELDS,
            [code, zh, en, top, parent, priority, verify, handle, "true" if business else "false"],
            strict=True,
        )
    )


def chinese_categories(path: Path) -> tuple[list[dict[str, object]], dict[tuple[str, str], str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.reader(handle)][1:]
    tops: list[dict[str, object]] = []
    subs: list[dict[str, object]] = []
    level2: dict[tuple[str, str], str] = {}
    level3: dict[tuple[str, str], str] = {}
    counts: collections.Counter[str] = collections.Counter()
    for top_zh, second, third in rows:
        top, top_en = TOP_LEVEL[top_zh]
        if not any(c["code"] == top for c in tops):
            tops.append(_category(top, top_zh, top_en, top, "", TOP_PRIORITY.get(top, "normal")))
        top_priority = TOP_PRIORITY.get(top, "normal")
        if (top, second) not in level2:
            counts[top] += 1
            code2 = f"{top}.{counts[top]:02d}"
            level2[(top, second)] = code2
            subs.append(
                _category(code2, second, ENGLISH[second], top, top, _cn(second, top_priority))
            )
        code2 = level2[(top, second)]
        if (code2, third) not in level3:
            counts[code2] += 1
            code3 = f"{code2}.{counts[code2]:02d}"
            level3[(code2, third)] = code3
            parent_priority = next(str(c["priority"]) for c in subs if c["code"] == code2)
            subs.append(
                _category(code3, third, ENGLISH[third], top, code2, _cn(third, parent_priority))
            )
    tops.append(_category(OTHER[0], OTHER[1], OTHER[2], OTHER[0], "", "normal"))
    return tops + subs, level2


def _cn(name: str, inherited: str) -> str:
    if name in CN_URGENT:
        return "urgent"
    if name in CN_HIGH and inherited != "urgent":
        return "high"
    return inherited


def nyc_types(shared: Path) -> dict[str, tuple[str, collections.Counter[str]]]:
    """slug -> (display name, agency counts) over both 311 files."""
    found: dict[str, tuple[str, collections.Counter[str]]] = {}
    for name, type_column, agency_column in NYC_FILES:
        with open(shared / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                kind = row[type_column].strip()
                if not kind:
                    continue
                display = kind.title() if kind.isupper() else kind
                entry = found.setdefault(slug(kind), (display, collections.Counter()))
                entry[1][row[agency_column].strip()] += 1
    return found


def nyc_priority(code: str) -> str:
    if code in NYC_URGENT:
        return "urgent"
    if code in NYC_HIGH or code.startswith("noise"):
        return "high"
    return "low" if code in NYC_LOW else "normal"


def write(path: Path, fields: list[str], rows: list[dict[str, object]], provenance: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(f"# {provenance}\n")
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.gen_registry_seed")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    categories, level2 = chinese_categories(args.shared / "cn_petition_category_taxonomy.csv")
    rules: list[dict[str, object]] = [
        {"category_code": top, "grid_code": "", "department_code": dept}
        for top, dept in TOP_RULES.items()
    ]
    rules += [
        {"category_code": level2[key], "grid_code": "", "department_code": dept}
        for key, dept in LEVEL2_RULES.items()
    ]
    for code, (display, agencies) in sorted(nyc_types(args.shared).items()):
        top, zh = NYC_TYPES[code]
        categories.append(_category(f"nyc.{code}", zh, display, top, top, nyc_priority(code)))
        # The agency seen most often for the type; ties go to the alphabetically first.
        agency = min(agencies, key=lambda a: (-agencies[a], a))
        rules.append({"category_code": f"nyc.{code}", "grid_code": "", "department_code": agency})
    departments: list[dict[str, object]] = [
        {"code": code, "name_zh": zh, "name_en": en, "head_person_id": f"head-{code.lower()}"}
        for code, (zh, en) in DEPARTMENTS.items()
    ]
    provenance = "generated by tools/gen_registry_seed.py from ../shared/data; do not edit by hand"
    SEED_DIR.mkdir(parents=True, exist_ok=True)
    write(SEED_DIR / "categories.csv", CATEGORY_FIELDS, categories, provenance)
    write(
        SEED_DIR / "departments.csv",
        ["code", "name_zh", "name_en", "head_person_id"],
        departments,
        provenance,
    )
    write(
        SEED_DIR / "responsibility.csv",
        ["category_code", "grid_code", "department_code"],
        rules,
        provenance,
    )
    print(f"{len(categories)} categories, {len(departments)} departments, {len(rules)} rules")


if __name__ == "__main__":
    main()
