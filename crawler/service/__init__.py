"""Running the crawler as a service: schedules, the `crawler serve` loop, metrics and health."""
