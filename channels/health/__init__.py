"""Channel health: the 12 metrics of every dealer's month, their percentile scores among
peers, the weighted composite and the rating (issue 4). ``families`` holds the SQL, one
aggregate per family of source data; ``services`` runs a month in one transaction."""
