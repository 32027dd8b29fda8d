"""Row scope: which records a user may see (a domain rule, used by services and the web layer).

An enterprise user sees only its own USCC; a regulator with a city sees that city, one without a
city the whole province; an admin sees all; an institution sees no enterprise records (its own
requests arrive with the QI-services release). Out-of-scope records answer 404, exactly like
records that do not exist, so a URL reveals nothing about other tenants.
"""

from __future__ import annotations

from dataclasses import dataclass

from lingqu.auth.models import User
from lingqu.exceptions import Forbidden, NotAuthenticated, NotFound  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class Scope:
    """What rows a user may see. ``None`` fields mean no restriction on that dimension."""

    city_code: str | None = None
    uscc: str | None = None
    no_enterprise_data: bool = False

    def allows_city(self, city_code: str) -> bool:
        return not self.no_enterprise_data and (self.city_code is None or self.city_code == city_code)

    def allows_enterprise(self, uscc: str, city_code: str) -> bool:
        if self.no_enterprise_data:
            return False
        if self.uscc is not None and self.uscc != uscc:
            return False
        return self.city_code is None or self.city_code == city_code

    def check_enterprise(self, uscc: str, city_code: str) -> None:
        if not self.allows_enterprise(uscc, city_code):
            raise NotFound(f"未找到统一社会信用代码为 {uscc} 的企业 (no such enterprise)")

    def check_city(self, city_code: str | None) -> None:
        if city_code and not self.allows_city(city_code):
            raise Forbidden("超出您的管辖范围 (outside your jurisdiction)")


def scope_of(user: User | None) -> Scope:
    if user is None:
        return Scope(no_enterprise_data=True)
    if user.role == "admin":
        return Scope()
    if user.role == "regulator":
        return Scope(city_code=user.city_code or None)
    if user.role == "enterprise":
        return Scope(uscc=user.uscc)
    return Scope(no_enterprise_data=True)
