# --8<-- [start:defaults]
WORKERS = 2
POLL_SECONDS = 1.0
# --8<-- [end:defaults]
DATABASE_URL = "sqlite:///tasks.db"
