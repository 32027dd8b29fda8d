"""QI service requests (供需对接): an enterprise asks for help, an institution takes it on."""
