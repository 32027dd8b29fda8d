"""Early warning (预警): change detection on failure rates and complaint surges, with alert lifecycle."""
