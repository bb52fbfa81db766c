"""Hospitals, departments and doctors: resolving members' words to them."""
from __future__ import annotations

from typing import List, Optional, Tuple

from sqlalchemy import select

from bot.backends import errors
from bot.backends.context import Context
from bot.backends.models import Doctor, Hospital, HospitalDepartment
from bot.catalog import Catalog, normalize
from bot.catalog import Hospital as CatalogHospital

# Words members put after a doctor's surname or name: 张主任, 李医生, 王教授, 刘大夫.
TITLE_WORDS = tuple(sorted(
    ("主任医师", "副主任医师", "主治医师", "副主任", "主任", "教授", "医生", "医师", "大夫",
     "老师", "专家"),
    key=len, reverse=True,
))


def hospitals_named(catalog: Catalog, text: str) -> List[CatalogHospital]:
    """Every hospital `text` may mean: a name or alias (all candidates for an ambiguous
    word such as 人民医院), else names found inside longer text; a city named in the
    text narrows the answer (上海人民医院)."""
    found = catalog.hospital_candidates(text)
    if found:
        return found
    key = normalize(text)
    found = [
        h for h in catalog.hospitals
        if key in normalize(h.full_name) or any(normalize(term) in key for term in h.terms)
    ]
    if not found:
        ids = [
            hospital_id
            for alias, hospital_ids in catalog.ambiguous_aliases.items()
            if normalize(alias) in key
            for hospital_id in hospital_ids
        ]
        found = [catalog.hospital(i) for i in dict.fromkeys(ids)]
    cities = [city for city in catalog.cities if city in text]
    in_city = [h for h in found if h.city in cities]
    return in_city or found


def hospital_id_for(catalog: Catalog, value: str) -> str:
    """A hospital id, also from its name or an unambiguous alias (瑞金医院, 瑞金); an
    unknown value is passed on unchanged (and is then not found)."""
    try:
        return catalog.hospital(value).id
    except KeyError:
        found = catalog.hospital_by_alias(value)
        return found.id if found else value


def department_id_for(catalog: Catalog, value: str) -> str:
    """A department id, also from its name or an alias (皮肤科, 皮肤)."""
    try:
        return catalog.department(value).id
    except KeyError:
        found = catalog.department_by_alias(value)
        return found.id if found else value


def search_hospitals(ctx: Context, q: Optional[str], city: Optional[str]) -> List[Hospital]:
    if q:
        ids = [h.id for h in hospitals_named(ctx.catalog, q)]
    else:
        ids = [h.id for h in ctx.catalog.hospitals]
    rows = {h.id: h for h in ctx.session.execute(select(Hospital).where(Hospital.id.in_(ids))).scalars()}
    wanted_city = city.strip().rstrip("市") if city else None
    return [rows[i] for i in ids if i in rows and (wanted_city is None or rows[i].city == wanted_city)]


def get_hospital(ctx: Context, hospital_id: str, field: Optional[str] = "hospital_id") -> Hospital:
    hospital = ctx.session.get(Hospital, hospital_id)
    if hospital is None:
        raise errors.not_found(field, hospital_id=hospital_id)
    return hospital


def hospital_departments(ctx: Context, hospital_id: str) -> Tuple[Hospital, List[HospitalDepartment]]:
    hospital = get_hospital(ctx, hospital_id, field=None)
    order = {d.id: i for i, d in enumerate(ctx.catalog.departments)}
    offered = ctx.session.execute(
        select(HospitalDepartment).where(HospitalDepartment.hospital_id == hospital_id)
    ).scalars().all()
    return hospital, sorted(offered, key=lambda o: order.get(o.department_id, len(order)))


def doctor_name_matches(query: str, name: str) -> bool:
    """张主任 / 张医生 / 张教授 / 张大夫 match 张伟; so do 张伟 and 张伟医生."""
    wanted = normalize(query)
    for word in TITLE_WORDS:
        if wanted.endswith(word) and len(wanted) > len(word):
            wanted = wanted[: -len(word)]
            break
    return bool(wanted) and (name == wanted or name.startswith(wanted))


def search_doctors(ctx: Context, hospital_id: Optional[str], department_id: Optional[str],
                   name: Optional[str]) -> List[Doctor]:
    statement = select(Doctor).order_by(Doctor.id)
    if hospital_id:
        statement = statement.where(Doctor.hospital_id == hospital_id)
    if department_id:
        statement = statement.where(Doctor.department_id == department_id)
    doctors = ctx.session.execute(statement).scalars().all()
    if name:
        doctors = [d for d in doctors if doctor_name_matches(name, d.name)]
    return doctors


def department_doctors(ctx: Context, hospital_id: str, department_id: str) -> List[Doctor]:
    return ctx.session.execute(
        select(Doctor)
        .where(Doctor.hospital_id == hospital_id, Doctor.department_id == department_id)
        .order_by(Doctor.id)
    ).scalars().all()


def hospitals_offering(ctx: Context, department_id: str, city: str,
                       exclude: Optional[str] = None) -> List[Hospital]:
    """Hospitals of a city that run a department, in catalog order."""
    rows = ctx.session.execute(
        select(Hospital)
        .join(HospitalDepartment, HospitalDepartment.hospital_id == Hospital.id)
        .where(HospitalDepartment.department_id == department_id, Hospital.city == city)
    ).scalars().all()
    order = {h.id: i for i, h in enumerate(ctx.catalog.hospitals)}
    return sorted((h for h in rows if h.id != exclude), key=lambda h: order.get(h.id, len(order)))
