"""Background work of a process: the reminders worker and purge (reminders.py), the event-stream poller
(broker.py). `todochat worker` runs the first alone; `todochat serve` runs both in-process."""
