"""Cases: the record, the category catalogue, intake, the hash-chained event log."""
