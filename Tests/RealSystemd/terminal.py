#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal and copies what it prints to a log file.

Usage: terminal.py LOG PIDFILE CMD [ARG...]. The terminal becomes the command's stdin/stdout/stderr
(the container binds it as /dev/console); PIDFILE receives the command's pid."""
import os
import pty
import sys

log, pidfile, command = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
with open(pidfile, "w") as f:
    f.write(f"{pid}\n")
with open(log, "ab", buffering=0) as out:
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out.write(data)
    _, status = os.waitpid(pid, 0)
    out.write(f"\n[terminal.py] exited with wait status {status}\n".encode())
