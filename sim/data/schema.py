"""The 360° data model: every table's columns, types and meaning, defined once.

Every dataset is conformed to this schema when it is built, saved and loaded, so
notebooks, analytics and the grader can rely on column names and dtypes; the
analytics check their inputs' documented columns with the same rule
(:func:`check_columns`), so a table passes or fails the same way everywhere.
Money is in euros (the brand's reporting currency) unless a column says
otherwise; timestamps are real datetimes counted from the scenario's start date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "KINDS",
    "TABLES",
    "Column",
    "SchemaError",
    "check_columns",
    "check_kind",
    "conform",
    "describe",
    "empty_table",
    "kind_problem",
    "kinds",
]


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
            "market",
            "str",
            "Regional market of the home country (its own contact centre, workshop and advisors).",
        ),
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
        _c(
            "category",
            "str",
            "Product category: leather_goods, ready_to_wear, shoes, accessories or watches_jewellery.",
        ),
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
            "What happened: stage_change, purchase, service_contact, repair, advisor_contact, survey, message_click, message_complaint (an unsubscribe or spam complaint).",
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
        _c(
            "spam_complaint",
            "bool",
            "Reported the message as spam (consent for the channel withdrawn too).",
        ),
        _c(
            "personalised",
            "bool",
            "Targeted to the recipient (segment, channel, interests) by personalisation.",
        ),
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
            "thank_you_call, check_in (top clients), event_invitation, win_back_call or repair_call (after a rejected repair).",
        ),
        _c("outcome", "str", "reached, no_answer or declined."),
        _c(
            "via_app",
            "bool",
            "The advisor works through the clienteling app (its day plan and client file).",
        ),
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
        _c(
            "purchase_rate",
            "float",
            "Latent purchase rate λ per day in the engaged state (the channel's multiplier included; times the state's multiplier and the calendar).",
        ),
        _c(
            "dropout_prob",
            "float",
            "Latent dropout probability p after each purchase (the BG/NBD core; before experience effects).",
        ),
        _c(
            "lifetime_rate",
            "float",
            "Latent lifetime rate μ per day (the Pareto/NBD core: the hazard of being lost).",
        ),
        _c(
            "spend_scale", "float", "Latent Gamma-Gamma scale ν of order values (mean order = p/ν)."
        ),
        _c(
            "channel_rate_multiplier",
            "float",
            "What the acquisition channel does to the purchase rate (1 = none).",
        ),
        _c(
            "channel_spend_multiplier",
            "float",
            "What the acquisition channel does to order values (1 = none).",
        ),
        _c(
            "initial_state",
            "str",
            "Relationship state at acquisition: committed, engaged or cooling.",
        ),
        _c(
            "final_state",
            "str",
            "Relationship state at the end of the horizon: committed, engaged, cooling or lost.",
        ),
        _c(
            "enrol_propensity",
            "float",
            "The person's chance to enrol in the loyalty programme (self-selection: rises with engagement and spend).",
        ),
        _c(
            "loyalty_effect",
            "float",
            "Causal multiplier the programme applied to this person's chance of cooling and of being lost (1 = not a member).",
        ),
        _c(
            "first_dropout_date",
            "datetime",
            "When the relationship was first lost — purchase or not (missing if never).",
        ),
        _c(
            "won_back_date",
            "datetime",
            "When a win-back action revived the person (missing if never).",
        ),
        _c(
            "dropout_date",
            "datetime",
            "When the relationship was finally lost (missing if alive at the end of the horizon).",
        ),
        _c(
            "home_category",
            "str",
            "The product category the person came for; each order leaves it with a chance rising with the relationship state at the time of the order (sim.world.purchases.CROSS_CATEGORY).",
        ),
    ),
    "truth_states": (
        _c("change_id", "int", "State change id."),
        _c("person_id", "int", "The person whose relationship changed (see truth)."),
        _c("timestamp", "datetime", "When the state changed."),
        _c(
            "from_state",
            "str",
            "State before: committed, engaged, cooling, lost, or '-' at acquisition.",
        ),
        _c("to_state", "str", "State after: committed, engaged, cooling or lost."),
        _c(
            "cause",
            "str",
            "What moved it: acquisition, purchase, service_contact, repair, advisor_contact, message, drift (cooling without touchpoints), hazard (lost between touchpoints), win_back, dropout (the BG/NBD core).",
        ),
    ),
}


_DTYPES = {
    "int": "int64",
    "Int": "Int64",
    "float": "float64",
    "bool": "bool",
    "datetime": "datetime64[ns]",
}

KINDS = ("int", "Int", "float", "str", "bool", "datetime")


def _integral(series: pd.Series) -> bool:
    """Whether a float column's present values are whole numbers (so Int64 holds them exactly)."""
    values = series.dropna().to_numpy(dtype=float)
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def kind_problem(series: pd.Series, kind: str) -> str | None:
    """What stops ``series`` holding values of a column ``kind``, or ``None`` if nothing does.

    The one rule for every table in the workbench: datasets are conformed with
    it and the analytics check their inputs with it. A kind accepts what
    converts to its canonical dtype without loss (whole floats for integers,
    0/1 numbers for booleans); ``int``, ``str`` and ``bool`` columns allow no
    missing values, the other kinds do.
    """
    if kind not in KINDS:
        return f"unknown column kind {kind!r}"
    if kind in ("int", "str", "bool"):
        n_missing = int(series.isna().sum())
        if n_missing:
            return f"{n_missing} missing value(s)"
    dtype = series.dtype
    found = f"found dtype {dtype}"
    if kind in ("int", "Int"):
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            return f"expected integer values, {found}"
        if pd.api.types.is_float_dtype(dtype) and not _integral(series):
            return "expected integer values, found fractional numbers"
    elif kind == "float":
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            return f"expected numeric values, {found}"
    elif kind == "str":
        text = pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)
        if not (text or isinstance(dtype, pd.CategoricalDtype)):
            return f"expected text values, {found}"
    elif kind == "bool":
        if not pd.api.types.is_bool_dtype(dtype):
            if not pd.api.types.is_numeric_dtype(dtype):
                return f"expected True/False values, {found}"
            if not series.dropna().isin([0, 1]).all():
                return "expected True/False (or 0/1), found other numbers"
    elif not pd.api.types.is_datetime64_any_dtype(dtype):  # datetime
        return f"expected datetime values, {found} (convert with pd.to_datetime)"
    return None


def check_kind(series: pd.Series, kind: str, where: str) -> None:
    """Raise :class:`SchemaError` ``"<where>: <problem>"`` unless ``series`` fits ``kind``."""
    problem = kind_problem(series, kind)
    if problem:
        raise SchemaError(f"{where}: {problem}")


def kinds(table: str) -> dict[str, str]:
    """Column name → kind for one documented table (empty for a table the schema lacks)."""
    return {c.name: c.kind for c in TABLES.get(table, ())}


def check_columns(
    df: pd.DataFrame,
    table: str,
    columns: list[str] | tuple[str, ...] | None = None,
    *,
    context: str | None = None,
) -> None:
    """Raise :class:`SchemaError` unless ``df``'s named columns have their documented kinds.

    Parameters
    ----------
    df
        The table, whole or partial: only ``columns`` are looked at.
    table
        A table of :data:`TABLES`; its data dictionary gives each column's kind.
    columns
        Documented columns to check (all of the table's by default). Each must
        be present.
    context
        Name used in messages (default ``table``), e.g. ``"orders.parquet: orders"``.

    Raises
    ------
    SchemaError
        ``"<context>.<column>: expected datetime values, found dtype object ..."``
        for the first column that does not fit, or if the table or a column is
        not documented, or a column is missing.
    """
    context = context or table
    documented = kinds(table)
    if not documented:
        raise SchemaError(f"unknown table {table!r}; known tables: {', '.join(TABLES)}")
    names = list(documented) if columns is None else list(columns)
    unknown = [c for c in names if c not in documented]
    if unknown:
        raise SchemaError(f"{context}: column(s) {', '.join(unknown)} not in the {table} table")
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise SchemaError(f"{context}: missing column(s) {', '.join(missing)}")
    for name in names:
        check_kind(df[name], documented[name], f"{context}.{name}")


def _cast(series: pd.Series, kind: str, where: str) -> pd.Series:
    """``series`` in its kind's canonical dtype (after :func:`check_kind` passed)."""
    try:
        if kind == "str":
            return series.astype(str)
        return series.astype(_DTYPES[kind])
    except (TypeError, ValueError) as err:  # e.g. a time-zone-aware datetime
        raise SchemaError(
            f"{where}: cannot convert dtype {series.dtype} to {kind}: {err}"
        ) from None


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
    check_columns(df, table)
    out = pd.DataFrame(
        {c.name: _cast(df[c.name], c.kind, f"{table}.{c.name}") for c in cols},
        index=pd.RangeIndex(len(df)),
    )
    key = cols[0].name
    if cols[0].kind == "int" and key.endswith("_id") and table != "truth":
        if out[key].duplicated().any():
            raise SchemaError(f"{table}.{key}: ids are not unique")
    return out


def empty_table(table: str) -> pd.DataFrame:
    """An empty table with the documented columns and dtypes."""
    return conform(
        table,
        pd.DataFrame({c.name: pd.Series(dtype=_DTYPES.get(c.kind, object)) for c in TABLES[table]}),
    )


def describe(table: str | None = None) -> pd.DataFrame:
    """The data dictionary as a DataFrame (table, column, type, meaning)."""
    rows = [
        (t, c.name, c.kind, c.meaning)
        for t, cols in TABLES.items()
        if table is None or t == table
        for c in cols
    ]
    return pd.DataFrame(rows, columns=["table", "column", "type", "meaning"])
