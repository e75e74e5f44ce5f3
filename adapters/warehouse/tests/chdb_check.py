"""Runs the ClickHouse warehouse's SQL on chDB (the current ClickHouse engine, in-process).

Usage: chdb_check.py INPUT.json OUTPUT.json

INPUT is {"migrations": [sql, ...], "examples": [{"sql": ..., "rows": n}, ...]}, written by
tests/chdb.rs. Every migration runs twice (they must be idempotent), then every example in
order. An `ADD COLUMN` run again may fail with "already exists" (ClickHouse 18.16 has no
`IF NOT EXISTS` there; the warehouse checks system.columns first). Any other error, or an example that returns another number of rows than expected, fails
the run with the statement that caused it. OUTPUT receives each example's result as
TabSeparated text, in order, as a JSON array.
"""

import json
import sys

import chdb
from chdb import session


def fail(message, sql):
    sys.stderr.write("chdb check failed: %s\n--- statement ---\n%s\n" % (message, sql))
    sys.exit(1)


def run(db, sql, again=False):
    try:
        return db.query(sql, "TabSeparated").bytes().decode("utf-8")
    except Exception as error:  # chDB raises its own error types; any of them fails the check.
        if again and " ADD COLUMN " in sql and "already exists" in str(error):
            return ""
        fail(str(error).strip(), sql)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as source:
        spec = json.load(source)
    db = session.Session()
    run(db, "DROP DATABASE IF EXISTS playback_check")
    run(db, "CREATE DATABASE playback_check")
    run(db, "USE playback_check")
    for again in (False, True):
        for sql in spec["migrations"]:
            run(db, sql, again)
    results = []
    for example in spec["examples"]:
        text = run(db, example["sql"])
        rows = len(text.splitlines())
        if rows != example["rows"]:
            fail("returned %d rows, expected %d:\n%s" % (rows, example["rows"], text), example["sql"])
        results.append(text)
    with open(sys.argv[2], "w", encoding="utf-8") as target:
        json.dump(results, target)
    version = run(db, "SELECT version()").strip()
    print(
        "chdb %s (ClickHouse %s): %d migration statements and %d examples ran"
        % (chdb.__version__, version, len(spec["migrations"]), len(spec["examples"]))
    )
    db.close()


if __name__ == "__main__":
    main()
