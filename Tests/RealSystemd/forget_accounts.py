#!/usr/bin/python3
"""Removes the named users and groups (and their group memberships) from a copy of /etc.

Usage: forget_accounts.py ETC NAME... -- so a container starts as a machine that never had them."""
import os
import sys

etc, names = sys.argv[1], set(sys.argv[2:])
for name in ["passwd", "group", "shadow", "gshadow", "passwd-", "group-", "shadow-", "gshadow-"]:
    path = os.path.join(etc, name)
    if not os.path.isfile(path):
        continue
    kept = []
    for line in open(path).read().splitlines():
        fields = line.split(":")
        if fields[0] in names:
            continue
        if name.startswith(("group", "gshadow")):
            fields[-1] = ",".join(m for m in fields[-1].split(",") if m and m not in names)
        kept.append(":".join(fields))
    mode = os.stat(path).st_mode & 0o7777
    with open(path, "w") as f:
        f.write("\n".join(kept) + "\n")
    os.chmod(path, mode)
