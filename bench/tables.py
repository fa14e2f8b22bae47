"""Resources tables of any size, filled by the database itself, as the API stores its rows.

Each row has a unique name, owner NULL, version 1, and created_at = updated_at in UTC without a
zone (the generated project's UTCDateTime), one second after the row before from 2025-01-01:
oldest first is id order, as when clients create them one by one. The table already exists
(the generated project's migrations made it); the statistics are fresh afterwards.
"""

import sqlalchemy as sa

COLUMNS = "resources (name, description, owner, created_at, updated_at, version)"

# One statement per dialect, the numbers 1..rows made by the database: PostgreSQL's
# generate_series, MariaDB's Sequence engine (seq_1_to_N tables exist without being created),
# SQLite's recursive CTE (its text timestamps in SQLAlchemy's own format, which the keyset
# compares as text).
FILL = {
    "postgresql": f"INSERT INTO {COLUMNS} SELECT 'resource-' || n, 'Resource number ' || n || '.',"
    " NULL, at, at, 1 FROM generate_series(1, {rows}) AS n,"
    " LATERAL (SELECT timestamp '2025-01-01' + n * interval '1 second' AS at) AS stamp",
    "mysql": f"INSERT INTO {COLUMNS} SELECT CONCAT('resource-', seq),"
    " CONCAT('Resource number ', seq, '.'), NULL, at, at, 1 FROM"
    " (SELECT seq, TIMESTAMP'2025-01-01 00:00:00' + INTERVAL seq SECOND AS at"
    " FROM seq_1_to_{rows}) AS stamp",
    "sqlite": "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq"
    " WHERE n < {rows})"
    f" INSERT INTO {COLUMNS} SELECT 'resource-' || n, 'Resource number ' || n || '.', NULL,"
    " at, at, 1 FROM (SELECT n, strftime('%Y-%m-%d %H:%M:%S.000000', '2025-01-01',"
    " '+' || n || ' seconds') AS at FROM seq)",
}
# PostgreSQL: VACUUM too, so the walk does not set every heap page's hint bits on first read.
ANALYZE = {
    "postgresql": "VACUUM ANALYZE resources",
    "mysql": "ANALYZE TABLE resources",
    "sqlite": "ANALYZE",
}


def fill(url: str, rows: int) -> None:
    """Insert rows resources into the empty resources table of the database at url."""
    engine = sa.create_engine(url)
    try:
        dialect = engine.dialect.name
        with engine.begin() as connection:
            connection.exec_driver_sql(FILL[dialect].format(rows=int(rows)))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(ANALYZE[dialect]).close()
    finally:
        engine.dispose()


def explain(url: str, statement: sa.Select[tuple[object, ...]]) -> str:
    """The database's plan of statement (its parameters bound), one line per plan line."""
    engine = sa.create_engine(url)
    try:
        compiled = statement.compile(dialect=engine.dialect)
        with engine.connect() as connection:
            result = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
            keys, found = list(result.keys()), result.all()
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        return "\n".join(row[0] for row in found)
    return "\n".join(", ".join(f"{k}={v}" for k, v in zip(keys, row, strict=True)) for row in found)


def version(url: str) -> str:
    """The server's name and version, as "PostgreSQL 15.10" or "MariaDB 10.11.6"."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            text = str(connection.exec_driver_sql("SELECT version()").scalar())
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":  # PostgreSQL 15.10 (Debian ...) on x86_64 ...
        return " ".join(text.split()[:2])
    return f"MariaDB {text.split('-')[0]}"  # 10.11.6-MariaDB-0+deb12u1
