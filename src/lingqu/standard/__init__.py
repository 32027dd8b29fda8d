"""Standards: full-text search over the ``standard`` table and the edition in force on a date."""
