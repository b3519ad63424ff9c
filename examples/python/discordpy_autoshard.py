#!/usr/bin/env python3
"""A discord.py bot that keeps botstatsd told of its counts (pip install discord.py).

    DISCORD_TOKEN=... python3 discordpy_autoshard.py

It reports on ready and every 30 minutes; botstatsd posts to the lists and reposts
on its own timer, so this never needs to run more often.

- A process that runs every shard reports the total, with the shard count.
- A process that runs some of the shards (shard_ids=[...] across several machines or
  processes) reports each of its shards' share with shard_id/shard_count; botstatsd
  posts the exact sum once every shard has reported.

The socket call blocks for a moment (the daemon saves the counts to disk before it
answers), so it runs in a thread: asyncio.to_thread never blocks the event loop.
"""
import asyncio
import logging
import os

import discord
from discord.ext import tasks

from botstatsd_client import BotstatsdError, set_counts

log = logging.getLogger("botstatsd")
# Every shard by default; SHARD_IDS=0,1,2,3 SHARD_COUNT=8 runs a part of them.
shard_ids = [int(i) for i in os.environ["SHARD_IDS"].split(",")] if os.environ.get("SHARD_IDS") else None
shard_count = int(os.environ["SHARD_COUNT"]) if os.environ.get("SHARD_COUNT") else None
client = discord.AutoShardedClient(intents=discord.Intents.default(), shard_ids=shard_ids, shard_count=shard_count)


def users_of(guilds):
    """Members summed over the guilds, or None while a guild's count is unknown."""
    counts = [guild.member_count for guild in guilds]
    return None if None in counts else sum(counts)


async def report_counts():
    try:
        if len(client.shards) == client.shard_count:  # this process runs every shard: one total
            result = await asyncio.to_thread(
                set_counts, len(client.guilds), users=users_of(client.guilds), shards=client.shard_count)
            log.info("botstatsd: %s", result["outcome"])
            return
        for shard_id in sorted(client.shards):  # this process's shards, each its own share
            guilds = [guild for guild in client.guilds if guild.shard_id == shard_id]
            result = await asyncio.to_thread(
                set_counts, len(guilds), users=users_of(guilds), shard_id=shard_id, shard_count=client.shard_count)
            log.info("botstatsd: shard %d: %s", shard_id, result["outcome"])
    except BotstatsdError as error:  # e.g. forbidden: this user is not in the group botstatsd
        log.warning("botstatsd refused the counts: %s", error)
    except OSError as error:  # the daemon is not running; the next round tries again
        log.warning("botstatsd is not reachable: %s", error)


@tasks.loop(minutes=30)
async def report_every_30_minutes():
    await report_counts()


@client.event
async def on_ready():
    if report_every_30_minutes.is_running():
        await report_counts()  # on_ready again after a full reconnect: report the fresh counts
    else:
        report_every_30_minutes.start()  # reports at once, then every 30 minutes


if __name__ == "__main__":
    client.run(os.environ["DISCORD_TOKEN"])
