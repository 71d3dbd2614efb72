"""In-transit tracking: trackers' positions of the units on their way to a dealer, from the
API, a logistics provider's file (the data hub) and devices over MQTT, all through
``services.positions_record``."""
