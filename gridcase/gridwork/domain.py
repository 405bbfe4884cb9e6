"""Vocabulary of grid work (pure): what a visit record is and what a visit was about."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class VisitKind(LabelledEnum):
    """A record of the worker's day among the people of the grid."""

    HOUSEHOLD = "household", _l("Household visit")  # 入户走访
    PLACE = "place", _l("Visit to a place")  # 场所走访: a shop, a school, a rented house
    DIARY = "diary", _l("People's diary entry")  # 民情日志: what the worker heard and saw


class VisitTopic(LabelledEnum):
    """What a visit was for (走访事由), as the 网格员走访记录 of the provinces list them."""

    ROUTINE = "routine", _l("Routine visit")  # 日常走访
    CARE = "care", _l("Care for people in need")  # 关爱帮扶: 独居老人、困难群众、留守儿童
    DISPUTE_SCREENING = "dispute_screening", _l("Dispute screening")  # 矛盾纠纷排查
    SAFETY = "safety", _l("Safety hazard check")  # 安全隐患排查
    POLICY = "policy", _l("Explaining a policy")  # 政策宣传
    OPINION = "opinion", _l("Hearing views")  # 收集社情民意


class WatchKind(LabelledEnum):
    """What a watch-list record follows up (重点人员 and 风险隐患 of the grid)."""

    PERSON = "person", _l("Person to follow up")  # 重点人员 / 关爱对象
    HAZARD = "hazard", _l("Risk or hazard")  # 风险隐患


class WatchCategory(LabelledEnum):
    """The kinds of people and hazards a grid keeps watch over, as the 综治 and 应急 rules name
    them (重点人员: 社区矫正对象、刑满释放人员、严重精神障碍患者、吸毒人员、信访重点人员、矛盾纠纷
    当事人; 关爱对象: 独居老人、留守儿童; 隐患: 消防、燃气、房屋、道路交通、地质灾害)."""

    COMMUNITY_CORRECTION = "community_correction", _l("Under community correction")  # 社区矫正对象
    RELEASED_PRISONER = "released_prisoner", _l("Released from prison")  # 刑满释放人员
    SEVERE_MENTAL_ILLNESS = "severe_mental_illness", _l("Severe mental illness")  # 严重精神障碍患者
    DRUG_USER = "drug_user", _l("Drug user")  # 吸毒人员
    PETITIONER = "petitioner", _l("Repeated petitioner")  # 信访重点人员
    DISPUTE_PARTY = "dispute_party", _l("Party to a dispute that may flare up")  # 矛盾纠纷当事人
    ELDERLY_ALONE = "elderly_alone", _l("Elderly person living alone")  # 独居老人
    LEFT_BEHIND_CHILD = "left_behind_child", _l("Left-behind child")  # 留守儿童
    FIRE = "fire", _l("Fire hazard")  # 消防隐患
    GAS = "gas", _l("Gas hazard")  # 燃气隐患
    BUILDING = "building", _l("Unsafe building")  # 危房
    ROAD = "road", _l("Road traffic hazard")  # 道路交通隐患
    GEOLOGICAL = "geological", _l("Geological hazard")  # 地质灾害隐患


PERSON_CATEGORIES = frozenset(
    {
        WatchCategory.COMMUNITY_CORRECTION,
        WatchCategory.RELEASED_PRISONER,
        WatchCategory.SEVERE_MENTAL_ILLNESS,
        WatchCategory.DRUG_USER,
        WatchCategory.PETITIONER,
        WatchCategory.DISPUTE_PARTY,
        WatchCategory.ELDERLY_ALONE,
        WatchCategory.LEFT_BEHIND_CHILD,
    }
)


class HouseKind(LabelledEnum):
    """What a house of the grid is (房屋类型)."""

    SELF_BUILT = "self_built", _l("Self-built house")  # 自建房 (农房)
    APARTMENT = "apartment", _l("Apartment building")  # 住宅楼
    MIXED = "mixed", _l("Shops below, homes above")  # 商住楼
    OTHER = "other", _l("Other building")  # 其他


class ResidentTag(LabelledEnum):
    """What the grid keeps in mind about a resident (人员标签), kept as data: the groups the 民政,
    残联 and 综治 services reach through the grid."""

    ELDERLY_ALONE = "elderly_alone", _l("Elderly living alone")  # 独居老人
    LEFT_BEHIND_CHILD = "left_behind_child", _l("Left-behind child")  # 留守儿童
    DISABLED = "disabled", _l("Person with a disability")  # 残疾人
    SUBSISTENCE = "subsistence", _l("On subsistence allowance")  # 低保户
    EXTREME_POVERTY = "extreme_poverty", _l("In extreme poverty")  # 特困人员
    VETERAN = "veteran", _l("Veteran")  # 退役军人
    KEY_PERSON = "key_person", _l("Key person")  # 重点人员 (followed up on the watch list)


class Residence(LabelledEnum):
    """Whether a resident is registered here (户籍) or lives here from elsewhere (流动人口)."""

    REGISTERED = "registered", _l("Registered resident")  # 户籍人口
    FLOATING = "floating", _l("Living here from elsewhere")  # 流动人口


class PlaceKind(LabelledEnum):
    """Units and places of the grid (单位场所) that the worker checks on."""

    SHOP = "shop", _l("Shop")  # 商铺
    NINE_SMALL = "nine_small", _l("Small premises")  # 小餐饮、小旅馆、小网吧 …
    SCHOOL = "school", _l("School or kindergarten")  # 学校、幼儿园
    RENTAL = "rental", _l("Rented housing")  # 出租房
    ENTERPRISE = "enterprise", _l("Enterprise")  # 企业
    CLINIC = "clinic", _l("Clinic or pharmacy")  # 医疗机构
    OTHER = "other", _l("Other place")  # 其他
