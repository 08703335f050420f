"""The workbench's shared words: lifecycle stages, channels, journeys, generations.

The world records them, the data model documents them and the analytics
group by them; they are defined once, here.
"""

from __future__ import annotations

__all__ = [
    "ACQUISITION_CHANNELS",
    "ADULT_AGE",
    "BOUNCES",
    "GENERATIONS",
    "GENERATION_YEARS",
    "IMPRESSIONS",
    "INBOUND",
    "JOURNEYS",
    "MESSAGE_CHANNELS",
    "NEW_DAYS",
    "ORDER_CHANNELS",
    "PAID_CHANNELS",
    "PRODUCT_CATEGORIES",
    "RELATIONSHIP_STATES",
    "STAGES",
    "TOUCHPOINT_CAUSES",
]

#: Lifecycle stages in their natural order.
STAGES: tuple[str, ...] = ("prospect", "new", "active", "at_risk", "lapsed", "won_back")
#: The "first 100 days" of a relationship: a customer is *new* for this long.
NEW_DAYS = 100.0
#: Where leads come from.
ACQUISITION_CHANNELS = ("paid_search", "social", "tv", "referral", "store_walk_in", "partners")
#: Acquisition channels the brand buys (their leads cost more as spend grows).
PAID_CHANNELS = ("paid_search", "social", "tv", "partners")
#: The latent relationship a customer has with the brand, best first; *lost* absorbs
#: (only a win-back action brings a lost customer back, as *cooling*).
RELATIONSHIP_STATES = ("committed", "engaged", "cooling", "lost")
#: What moved a relationship state (the ``cause`` of a row of ``truth_states``).
TOUCHPOINT_CAUSES = (
    "acquisition", "purchase", "service_contact", "repair", "advisor_contact", "message",
    "drift", "hazard", "win_back", "dropout",
)  # fmt: skip
#: What an order is, by the brand's product lines (the home category first in a
#: customer's history; crossing into the others measures the relationship's breadth).
PRODUCT_CATEGORIES = (
    "leather_goods", "ready_to_wear", "shoes", "accessories", "watches_jewellery",
)  # fmt: skip
#: Where orders are placed.
ORDER_CHANNELS = ("store", "ecommerce", "social_commerce")
#: Channels the brand sends messages on.
MESSAGE_CHANNELS = ("email", "sms", "social")
#: Triggered journeys, each a campaign per channel.
JOURNEYS = ("welcome", "thank_you", "birthday", "repair_update", "win_back")
#: Journeys the customer set off (their own registration, purchase, repair).
INBOUND = frozenset({"welcome", "thank_you", "repair_update"})
#: Delivery outcome of a message.
BOUNCES = ("none", "soft", "hard")
#: Impression a touchpoint leaves.
IMPRESSIONS = ("positive", "neutral", "negative")
#: Generations by birth year (see :mod:`sim.world.population`).
GENERATIONS = ("Gen Z", "Millennials", "Gen X", "Boomers")
#: Birth years of each generation (inclusive). Gen Z is further cut at age 18.
GENERATION_YEARS = {
    "Gen Z": (1997, 2007),
    "Millennials": (1981, 1996),
    "Gen X": (1965, 1980),
    "Boomers": (1946, 1964),
}
#: Customers are adults on the first day of the horizon.
ADULT_AGE = 18
