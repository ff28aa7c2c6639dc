"""Background work on RQ (timers, reminders, notifications): arrives with the timers issue."""
