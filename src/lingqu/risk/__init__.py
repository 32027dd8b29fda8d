"""Risk: grading enterprises by the probability that their next inspection finds a problem, and back-tests."""
