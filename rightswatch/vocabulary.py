"""The fixed ids of design.md: event types, metrics, regions, populations and units.

One light module (no imports) so that the extractor, the alert rules and the command line
all check against the same lists, and importing them costs nothing at start-up.
"""

EVENT_TYPES = ("report.new", "report.edited", "report.removed", "figure.new", "figure.changed",
               "source.failing", "source.recovered")
METRICS = ("conscripted", "conscription_quota", "summonses", "criminal_cases",
           "administrative_cases", "convictions", "searches", "deaths", "captured", "detained",
           "political_prisoners", "deported", "returned", "injured")
REGIONS = ("crimea", "sevastopol", "donetsk", "luhansk", "zaporizhzhia", "kherson",
           "occupied_territories", "russia", "ukraine")
# Who a figure counts, when the text says so (a series is kept per population).
POPULATIONS = ("children", "civilians", "units", "residents")
# count (default), percent, or an ISO 4217 currency code.
UNITS = ("count", "percent", "RUB", "UAH", "USD", "EUR")

__all__ = ["EVENT_TYPES", "METRICS", "POPULATIONS", "REGIONS", "UNITS"]
