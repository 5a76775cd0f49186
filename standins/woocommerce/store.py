"""The stand-in shop's data: customers and orders shaped like WooCommerce REST API v3 resources."""

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
)


def _now() -> tuple[str, str]:
    """(local, GMT) timestamps as WooCommerce writes them: ISO 8601 without an offset."""
    stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()
    return stamp, stamp


def address(**values: str) -> dict[str, str]:
    """A billing/shipping address with every key WooCommerce sends (empty strings for the unset ones)."""
    return {name: values.get(name, "") for name in ADDRESS_FIELDS} | {
        k: v for k, v in values.items() if k in ("email", "phone")
    }


@dataclass
class ShopData:
    """Customers and orders by id; ids count up from one sequence per resource, as WordPress post ids do."""

    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _customer_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _order_ids: itertools.count = field(default_factory=lambda: itertools.count(1001))

    def add_customer(self, *, email: str, billing: dict[str, str], meta: dict[str, str] | None = None) -> dict:
        with self.lock:
            customer_id = next(self._customer_ids)
            created, created_gmt = _now()
            billing = address(**billing) | {"email": billing.get("email", email), "phone": billing.get("phone", "")}
            customer = {
                "id": customer_id,
                "date_created": created,
                "date_created_gmt": created_gmt,
                "date_modified": created,
                "date_modified_gmt": created_gmt,
                "email": email,
                "first_name": billing["first_name"],
                "last_name": billing["last_name"],
                "role": "customer",
                "username": email.split("@")[0],
                "billing": billing,
                "shipping": address(),
                "is_paying_customer": False,
                "avatar_url": "",
                "meta_data": _meta(meta),
            }
            self.customers[customer_id] = customer
            return customer

    def add_order(
        self,
        *,
        billing: dict[str, str],
        customer_id: int = 0,
        total: str = "49.95",
        currency: str = "EUR",
        meta: dict[str, str] | None = None,
    ) -> dict:
        if customer_id and customer_id not in self.customers:
            raise ValueError(f"No customer {customer_id} in the stand-in shop.")
        with self.lock:
            order_id = next(self._order_ids)
            created, created_gmt = _now()
            order = {
                "id": order_id,
                "parent_id": 0,
                "number": str(order_id),
                "order_key": f"wc_order_{order_id:08x}",
                "created_via": "checkout",
                "status": "processing",
                "currency": currency,
                "date_created": created,
                "date_created_gmt": created_gmt,
                "date_modified": created,
                "date_modified_gmt": created_gmt,
                "total": total,
                "customer_id": customer_id,
                "billing": address(**billing) | {"email": billing.get("email", ""), "phone": billing.get("phone", "")},
                "shipping": address(),
                "payment_method": "ideal",
                "line_items": [
                    {"id": order_id * 10, "name": "Product", "product_id": 1, "quantity": 1, "total": total}
                ],
                "meta_data": _meta(meta),
            }
            self.orders[order_id] = order
            if customer_id:
                self.customers[customer_id]["is_paying_customer"] = True
            return order

    def delete_customer(self, customer_id: int) -> None:
        with self.lock:
            self.customers.pop(customer_id)


def _meta(values: dict[str, str] | None) -> list[dict[str, Any]]:
    return [{"id": n, "key": k, "value": v} for n, (k, v) in enumerate((values or {}).items(), start=1)]
