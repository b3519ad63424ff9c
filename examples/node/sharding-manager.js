// discord.js v14 with a ShardingManager: every shard process reports its own share to
// botstatsd, and botstatsd posts the exact sum once every shard has reported.
//
//   npm install discord.js
//   DISCORD_TOKEN=... node sharding-manager.js
//
// This one file is both the manager (started by you) and the shards (started by the manager
// with --shard). Each shard reports on ready and every 30 minutes; botstatsd does the posting,
// the rate limits and the hourly reposts. botstatsd-client.js sits beside this file.
'use strict';
const { Client, Events, GatewayIntentBits, ShardingManager } = require('discord.js');
const { setCounts } = require('./botstatsd-client');

if (!process.argv.includes('--shard')) {
  // The manager: starts one process per shard ('auto' asks Discord how many it recommends).
  const manager = new ShardingManager(__filename, { token: process.env.DISCORD_TOKEN, shardArgs: ['--shard'] });
  manager.on('shardCreate', (shard) => console.log(`launched shard ${shard.id}`));
  manager.spawn();
} else {
  const client = new Client({ intents: [GatewayIntentBits.Guilds] });

  // One set per shard this process holds (one, with the default ShardingManager).
  async function reportCounts() {
    for (const shardId of client.shard.ids) {
      const guilds = client.guilds.cache.filter((guild) => guild.shardId === shardId);
      try {
        const result = await setCounts({
          servers: guilds.size,
          users: guilds.reduce((sum, guild) => sum + (guild.memberCount ?? 0), 0),
          shardId,
          shardCount: client.shard.count,
        });
        console.log(`botstatsd: shard ${shardId}: ${result.outcome}`);
      } catch (error) {
        // 'forbidden': this user is not in the group botstatsd; ENOENT/ECONNREFUSED: the
        // daemon is not running. Either way the next round tries again.
        console.warn(`botstatsd: shard ${shardId}: ${error.message}`);
      }
    }
  }

  client.once(Events.ClientReady, () => {
    reportCounts();
    setInterval(reportCounts, 30 * 60 * 1000);
  });
  client.login(process.env.DISCORD_TOKEN);
}
