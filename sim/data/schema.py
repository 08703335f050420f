"""The 360° data model: every table's columns, types and meaning, defined once.

Every dataset is conformed to this schema when it is built, saved and loaded, so
notebooks, analytics and the grader can rely on column names and dtypes.
Money is in euros (the brand's reporting currency) unless a column says
otherwise; timestamps are real datetimes counted from the scenario's start date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TABLES", "Column", "SchemaError", "conform", "describe", "empty_table", "table_names"]


class SchemaError(ValueError):
    """A table does not match the data model (missing column, wrong type, bad values)."""


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, logical type and meaning."""

    name: str
    kind: str  # one of: int, Int (nullable int), float, str, bool, datetime
    meaning: str


def _c(name: str, kind: str, meaning: str) -> Column:
    return Column(name, kind, meaning)


TABLES: dict[str, tuple[Column, ...]] = {
    "customers": (
        _c("customer_id", "int", "Profile id (one person may have two profiles: see truth)."),
        _c("first_name", "str", "Given name as registered (may be misspelt on a duplicate)."),
        _c("last_name", "str", "Family name as registered."),
        _c("email", "str", "E-mail address as registered (a typo'd one hard-bounces)."),
        _c("phone", "str", "Phone number in international format."),
        _c("birth_date", "datetime", "Date of birth (declared data)."),
        _c("generation", "str", "Gen Z, Millennials, Gen X or Boomers, from the birth year."),
        _c("nationality", "str", "ISO 3166 alpha-2 code of the customer's nationality."),
        _c("home_country", "str", "ISO 3166 alpha-2 code of the country of residence."),
        _c("city", "str", "City of residence."),
        _c(
            "signup_date",
            "datetime",
            "When the profile was created (first purchase or registration).",
        ),
        _c(
            "signup_channel",
            "str",
            "Where the profile was created: store, ecommerce or social_commerce.",
        ),
        _c(
            "acquisition_channel", "str", "Marketing channel that brought the customer (see leads)."
        ),
        _c("lead_id", "Int", "The converted lead behind this profile (missing for duplicates)."),
        _c("referred_by", "Int", "customer_id of the referring customer for word-of-mouth leads."),
        _c("consent_email", "bool", "Opted in to e-mail marketing at the end of the horizon."),
        _c("consent_sms", "bool", "Opted in to SMS marketing at the end of the horizon."),
        _c(
            "consent_social",
            "bool",
            "Follows the brand on social/messaging apps and accepts its messages.",
        ),
        _c("opt_out", "bool", "On the do-not-contact (Robinson) list: no marketing at all."),
        _c("loyalty_member", "bool", "Enrolled in the loyalty programme."),
        _c("loyalty_enrol_date", "datetime", "When the customer enrolled (missing if never)."),
    ),
    "orders": (
        _c("order_id", "int", "Order id."),
        _c("customer_id", "int", "Profile that placed the order."),
        _c("order_date", "datetime", "When the order was placed."),
        _c("channel", "str", "store, ecommerce or social_commerce."),
        _c("country", "str", "ISO code of the country of purchase."),
        _c("cross_border", "bool", "Bought outside the customer's home country (travel purchase)."),
        _c("currency", "str", "Currency the order was paid in."),
        _c("gross_amount", "float", "List value of the basket, EUR."),
        _c("discount_amount", "float", "Discount granted (promotion or points reward), EUR."),
        _c("net_amount", "float", "Revenue: gross minus discount, EUR."),
        _c("advisor_id", "Int", "Client advisor who served the order (store orders, if any)."),
    ),
    "touchpoints": (
        _c("touchpoint_id", "int", "Touchpoint id."),
        _c("customer_id", "int", "Profile concerned."),
        _c("timestamp", "datetime", "When the interaction happened."),
        _c(
            "channel",
            "str",
            "Where: store, ecommerce, social_commerce, email, sms, social, phone, chat, workshop, advisor, or crm for stage changes the CRM system detects.",
        ),
        _c(
            "touchpoint",
            "str",
            "What happened: stage_change, purchase, service_contact, repair, advisor_contact, survey, message_click.",
        ),
        _c(
            "stage",
            "str",
            "Lifecycle stage after the interaction: prospect, new, active, at_risk, lapsed, won_back.",
        ),
        _c(
            "impression",
            "str",
            "positive, neutral or negative: the moment-of-truth impression left.",
        ),
    ),
    "messages": (
        _c("message_id", "int", "Message id."),
        _c("campaign_id", "int", "Campaign the message belongs to."),
        _c("customer_id", "int", "Recipient profile."),
        _c("sent_at", "datetime", "Send time."),
        _c("channel", "str", "email, sms or social."),
        _c(
            "message_type",
            "str",
            "newsletter, welcome, thank_you, birthday, repair_update, win_back.",
        ),
        _c("bounce", "str", "none, soft or hard."),
        _c("delivered", "bool", "Reached the inbox (no bounce)."),
        _c("opened", "bool", "Opened (only if delivered)."),
        _c("clicked", "bool", "Clicked (only if opened)."),
        _c("unsubscribed", "bool", "Withdrew consent for this channel from this message."),
    ),
    "campaigns": (
        _c("campaign_id", "int", "Campaign id."),
        _c("name", "str", "Human-readable name."),
        _c(
            "campaign_type",
            "str",
            "newsletter, welcome, thank_you, birthday, repair_update, win_back.",
        ),
        _c("channel", "str", "email, sms or social."),
        _c(
            "direction",
            "str",
            "outbound (brand-scheduled broadcast) or inbound (triggered by the customer's own action).",
        ),
        _c("variant", "str", "A/B variant label: A, B, or '-' when not tested."),
        _c("start_date", "datetime", "First send."),
        _c("cost", "float", "Total cost of the campaign's sends, EUR."),
    ),
    "leads": (
        _c("lead_id", "int", "Lead id."),
        _c("created_at", "datetime", "When the prospect became a lead."),
        _c("channel", "str", "paid_search, social, tv, referral, store_walk_in or partners."),
        _c("cost", "float", "Acquisition cost attributed to this lead, EUR."),
        _c("generation", "str", "Declared generation of the prospect."),
        _c("pages_viewed", "int", "Web pages viewed before conversion or loss (behaviour)."),
        _c("email_opens", "int", "Nurturing e-mails opened (engagement)."),
        _c("attended_event", "bool", "Came to a brand event or store appointment."),
        _c("invalid_email", "bool", "Gave an address that bounced (negative signal)."),
        _c("converted", "bool", "Became a customer."),
        _c(
            "converted_at",
            "datetime",
            "When the first purchase happened (missing if not converted).",
        ),
        _c("customer_id", "Int", "Resulting profile (missing if not converted)."),
    ),
    "tickets": (
        _c("ticket_id", "int", "Service contact id."),
        _c("customer_id", "int", "Profile that contacted the brand."),
        _c("order_id", "Int", "Order the contact is about (if any)."),
        _c("created_at", "datetime", "When the customer first called or wrote."),
        _c("channel", "str", "phone, email, chat or store."),
        _c("reason", "str", "order_issue, delivery, product_question or repair."),
        _c("wait_minutes", "float", "Queue wait of the first contact (0 for non-queued channels)."),
        _c(
            "abandoned",
            "bool",
            "The caller hung up before being answered (reneged) at the first attempt.",
        ),
        _c("handle_minutes", "float", "Agent time spent on the first answered contact."),
        _c("contacts_to_resolve", "int", "Number of contacts it took to resolve the question."),
        _c("resolved", "bool", "Resolved within the horizon."),
        _c("effort_score", "int", "Customer effort score, 1 (very easy) to 7 (very hard)."),
        _c("repair_outcome", "str", "For repairs: completed, delayed or rejected; '-' otherwise."),
        _c("repair_days", "float", "Workshop lead time in days for repairs (missing otherwise)."),
    ),
    "surveys": (
        _c("survey_id", "int", "Survey response id."),
        _c("customer_id", "int", "Respondent profile."),
        _c("responded_at", "datetime", "Response time."),
        _c("trigger", "str", "What prompted the survey: order, ticket or repair."),
        _c("order_id", "Int", "Order behind an order survey."),
        _c("ticket_id", "Int", "Ticket behind a ticket or repair survey."),
        _c("nps", "int", "Likelihood to recommend, 0–10."),
        _c("csat", "int", "Satisfaction, 1–5."),
        _c("ces", "int", "Customer effort score, 1–7 (lower is easier)."),
    ),
    "loyalty_ledger": (
        _c("entry_id", "int", "Ledger entry id (entries are in time order within a customer)."),
        _c("customer_id", "int", "Member profile."),
        _c("timestamp", "datetime", "When the points moved."),
        _c("kind", "str", "earn, burn (redeemed) or expire."),
        _c("points", "int", "Signed points: + earned, − redeemed or expired."),
        _c("balance", "int", "Running balance after this entry (never negative)."),
        _c("order_id", "Int", "Order behind an earn or burn entry."),
        _c("tier", "str", "Member tier after this entry, from rolling 365-day spend."),
    ),
    "advisor_tasks": (
        _c("task_id", "int", "Task id."),
        _c("advisor_id", "int", "Client advisor who carried out the task."),
        _c("customer_id", "int", "Client contacted."),
        _c("created_at", "datetime", "When the task was put on the advisor's list."),
        _c("done_at", "datetime", "The day the advisor carried it out."),
        _c(
            "task_type",
            "str",
            "thank_you_call, event_invitation, win_back_call or repair_call (after a rejected repair).",
        ),
        _c("outcome", "str", "reached, no_answer or declined."),
    ),
    "marketing_spend": (
        _c("month", "datetime", "First day of the month."),
        _c(
            "channel",
            "str",
            "Acquisition channel; or for retention: email / sms / social sends, advisor time, loyalty (rewards granted and running the programme).",
        ),
        _c("purpose", "str", "acquisition or retention."),
        _c("spend", "float", "Spend in the month, EUR."),
    ),
    "truth": (
        _c("customer_id", "int", "Profile id."),
        _c("person_id", "int", "The real person behind the profile (duplicates share it)."),
        _c("is_duplicate", "bool", "This profile is a second registration of the person."),
        _c("email_typo", "bool", "The registered e-mail has a typo and hard-bounces."),
        _c("purchase_rate", "float", "Latent purchase rate λ while alive, per day."),
        _c(
            "dropout_prob",
            "float",
            "Latent dropout probability p after each purchase (before experience effects).",
        ),
        _c(
            "spend_scale", "float", "Latent Gamma-Gamma scale ν of order values (mean order = p/ν)."
        ),
        _c(
            "first_dropout_date",
            "datetime",
            "When the person first became inactive for good (missing if alive throughout).",
        ),
        _c(
            "won_back_date",
            "datetime",
            "When a win-back action revived the person (missing if never).",
        ),
        _c(
            "dropout_date",
            "datetime",
            "Final dropout (missing if alive at the end of the horizon).",
        ),
    ),
}


def table_names() -> list[str]:
    """Names of the dataset's tables, in the documented order."""
    return list(TABLES)


_DTYPES = {
    "int": "int64",
    "Int": "Int64",
    "float": "float64",
    "bool": "bool",
    "datetime": "datetime64[ns]",
}


def _coerce(series: pd.Series, col: Column, table: str) -> pd.Series:
    try:
        if col.kind == "str":
            if not (pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)):
                raise TypeError(f"dtype {series.dtype}")
            if series.isna().any():
                raise SchemaError(f"{table}.{col.name}: text column has missing values")
            return series.astype(str)
        if col.kind == "datetime":
            if not pd.api.types.is_datetime64_any_dtype(series):
                raise TypeError(f"dtype {series.dtype}")
            return series.astype("datetime64[ns]")
        if col.kind == "bool":
            if not pd.api.types.is_bool_dtype(series) or series.isna().any():
                raise TypeError(f"dtype {series.dtype}")
            return series.astype("bool")
        if col.kind == "int":
            if not pd.api.types.is_integer_dtype(series) or series.isna().any():
                raise TypeError(f"dtype {series.dtype}")
            return series.astype("int64")
        if col.kind == "Int":
            if not (
                pd.api.types.is_integer_dtype(series)
                or (pd.api.types.is_float_dtype(series) and series.isna().all())
            ):
                raise TypeError(f"dtype {series.dtype}")
            return series.astype("Int64")
        if col.kind == "float":
            if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
                raise TypeError(f"dtype {series.dtype}")
            return series.astype("float64")
    except TypeError as err:
        raise SchemaError(f"{table}.{col.name}: expected {col.kind} values, found {err}") from None
    raise SchemaError(f"{table}.{col.name}: unknown column kind {col.kind!r}")


def conform(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with the documented columns, in order, with canonical dtypes.

    Raises
    ------
    SchemaError
        If the table is unknown, a documented column is missing, or a column's
        values cannot be the documented type. The message names table and column.
    """
    if table not in TABLES:
        raise SchemaError(f"unknown table {table!r}; known tables: {', '.join(TABLES)}")
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{table}: expected a DataFrame, got {type(df).__name__}")
    cols = TABLES[table]
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        raise SchemaError(f"{table}: missing column(s) {', '.join(missing)}")
    extra = [c for c in df.columns if c not in {c.name for c in cols}]
    if extra:
        raise SchemaError(f"{table}: unexpected column(s) {', '.join(map(str, extra))}")
    out = pd.DataFrame(
        {c.name: _coerce(df[c.name], c, table) for c in cols}, index=pd.RangeIndex(len(df))
    )
    key = cols[0].name
    if cols[0].kind == "int" and key.endswith("_id") and table != "truth":
        if out[key].duplicated().any():
            raise SchemaError(f"{table}.{key}: ids are not unique")
    return out


def empty_table(table: str) -> pd.DataFrame:
    """An empty table with the documented columns and dtypes."""
    cols = TABLES[table]
    data = {}
    for c in cols:
        dtype = _DTYPES.get(c.kind, "object")
        data[c.name] = pd.Series(np.array([], dtype=object) if c.kind == "str" else [], dtype=dtype)
        if c.kind == "str":
            data[c.name] = pd.Series([], dtype=str)
    return conform(table, pd.DataFrame(data))


def describe(table: str | None = None) -> pd.DataFrame:
    """The data dictionary as a DataFrame (table, column, type, meaning)."""
    rows = [
        (t, c.name, c.kind, c.meaning)
        for t, cols in TABLES.items()
        if table is None or t == table
        for c in cols
    ]
    return pd.DataFrame(rows, columns=["table", "column", "type", "meaning"])
