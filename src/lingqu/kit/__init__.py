"""Small named helpers shared by the domains (no business logic, no database)."""
