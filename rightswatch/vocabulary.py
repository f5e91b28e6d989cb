"""The fixed ids of design.md: event types, metrics and regions.

One light module (no imports) so that the extractor, the alert rules and the command line
all check against the same lists, and importing them costs nothing at start-up.
"""

EVENT_TYPES = ("report.new", "report.edited", "report.removed", "figure.new", "figure.changed",
               "source.failing", "source.recovered")
METRICS = ("conscripted", "conscription_quota", "summonses", "criminal_cases", "convictions",
           "deaths", "captured", "detained", "political_prisoners", "deported", "injured")
REGIONS = ("crimea", "sevastopol", "donetsk", "luhansk", "zaporizhzhia", "kherson",
           "occupied_territories", "russia", "ukraine")

__all__ = ["EVENT_TYPES", "METRICS", "REGIONS"]
