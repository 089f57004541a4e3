"""FastAPI facade: validates requests, starts or queries Temporal workflows, returns seed-shaped JSON."""
