"""ikz: the application around the mandate core (CLI, portal, conference papers, exchange, mail intake)."""
