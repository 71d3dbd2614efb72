"""Lead routing: the best active dealer for every new lead, its SLA and re-assignment."""
