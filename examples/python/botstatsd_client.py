#!/usr/bin/env python3
"""Hand a Discord bot's counts to botstatsd. Standard library only; Python 3.8+.

Copy this file next to your bot, or import it:

    from botstatsd_client import set_counts, BotstatsdError
    set_counts(1520, users=88000)                        # the whole bot
    set_counts(190, users=11000, shard_id=3, shard_count=8)  # one shard's share

The daemon saves the counts before it answers, then posts them to every configured
list and reposts them on its own timer: call this when the counts change (or every
30 minutes), never in a tight loop. The protocol is docs/protocol.md.

From a shell (exit 0 ok, 1 the daemon answered with an error, 3 not running):

    python3 botstatsd_client.py --servers 1520 --users 88000
"""
import json
import os
import socket

DEFAULT_SOCKET = "/run/botstatsd/control.sock"


class BotstatsdError(Exception):
    """The daemon answered with an error: `code` is e.g. "unknown_bot", "forbidden"."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def request(req, socket_path=None, timeout=10.0):
    """Send one request object, return the `result` object or raise BotstatsdError.

    OSError (FileNotFoundError, ConnectionRefusedError, PermissionError, timeout)
    means the daemon is not running, or this user may not open its socket.
    """
    path = socket_path or os.environ.get("BOTSTATSD_SOCKET") or DEFAULT_SOCKET
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(json.dumps(dict(req, v=1)).encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"{path}: the daemon closed the connection without answering")
            answer += chunk
    reply = json.loads(answer)
    if not reply.get("ok"):
        raise BotstatsdError(reply["error"]["code"], reply["error"]["message"])
    return reply["result"]


def set_counts(servers, users=None, shards=None, shard_id=None, shard_count=None, bot=None, socket_path=None):
    """Hand over new counts: the bot's total, or with shard_id/shard_count one shard's share.

    Returns the result object, e.g. {"bot": "main", "outcome": "accepted", ...};
    outcome is "accepted", "held" (drop guard) or "waiting_for_shards".
    """
    fields = dict(servers=servers, users=users, shards=shards, shard_id=shard_id, shard_count=shard_count, bot=bot)
    req = {"cmd": "set", **{key: value for key, value in fields.items() if value is not None}}
    return request(req, socket_path)


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Hand a bot's counts to botstatsd.")
    parser.add_argument("--socket", help=f"control socket (default: $BOTSTATSD_SOCKET, else {DEFAULT_SOCKET})")
    parser.add_argument("--servers", type=int, required=True)
    parser.add_argument("--users", type=int)
    parser.add_argument("--shards", type=int)
    parser.add_argument("--shard-id", type=int)
    parser.add_argument("--shard-count", type=int)
    parser.add_argument("--bot")
    args = parser.parse_args()
    try:
        result = set_counts(args.servers, args.users, args.shards, args.shard_id, args.shard_count, args.bot, args.socket)
    except BotstatsdError as error:
        sys.exit(f"botstatsd: {error}")  # exit 1
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as error:
        sys.exit(print(f"botstatsd is not running: {error}", file=sys.stderr) or 3)
    except OSError as error:  # e.g. PermissionError: not in the group botstatsd
        sys.exit(f"botstatsd: {error}")
    print(json.dumps(result))
