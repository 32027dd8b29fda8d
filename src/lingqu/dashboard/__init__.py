"""The regulator's dashboard: the programme's KPIs against its targets, with drill-downs."""
