"""dispatch: decides who handles a petition and by when, keeps the clock, and raises the alarm.

Routing (grid, category given or classified, department, least-loaded worker), the triage queue,
step clocks on a business calendar with pause/resume, lights, the deadline scanner with its
escalation ladder, transfers and refusals (退单), whistles (吹哨报到), and the light board metrics
the Prometheus alerts read. Settings: `config.py`.
"""
