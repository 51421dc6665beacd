"""Screens: layout and wiring only. They read widgets, hand requests to the runner or to the
core (sessions, compare, reports) through the app, and route messages to widgets."""
