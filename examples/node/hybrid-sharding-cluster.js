// discord.js v14 with discord-hybrid-sharding: every cluster reports each shard it holds,
// and botstatsd posts the exact sum once every shard of every cluster has reported.
//
//   npm install discord.js discord-hybrid-sharding
//   DISCORD_TOKEN=... node hybrid-sharding-cluster.js
//
// This one file is both the ClusterManager (started by you) and the clusters (started by the
// manager, which sets CLUSTER_MANAGER_MODE for them). Clusters on other machines report the
// same way, over their own botstatsd socket path (see docs/integration.md for containers).
// botstatsd-client.js sits beside this file.
'use strict';
const { Client, Events, GatewayIntentBits } = require('discord.js');
const { ClusterClient, ClusterManager, getInfo } = require('discord-hybrid-sharding');
const { setCounts } = require('./botstatsd-client');

if (!['process', 'worker'].includes(process.env.CLUSTER_MANAGER_MODE)) {
  // The manager: e.g. 16 shards in 4 clusters of 4 ('auto' asks Discord for the shard count).
  const manager = new ClusterManager(__filename, {
    totalShards: 'auto',
    shardsPerClusters: 4,
    mode: 'process',
    token: process.env.DISCORD_TOKEN,
  });
  manager.on('clusterCreate', (cluster) => console.log(`launched cluster ${cluster.id}`));
  manager.spawn({ timeout: -1 });
} else {
  const info = getInfo(); // this cluster's SHARD_LIST and the bot's TOTAL_SHARDS
  const client = new Client({ shards: info.SHARD_LIST, shardCount: info.TOTAL_SHARDS, intents: [GatewayIntentBits.Guilds] });
  client.cluster = new ClusterClient(client);

  // One set per shard of this cluster: its own guilds, with the bot's total shard count.
  async function reportCounts() {
    for (const shardId of info.SHARD_LIST) {
      const guilds = client.guilds.cache.filter((guild) => guild.shardId === shardId);
      try {
        const result = await setCounts({
          servers: guilds.size,
          users: guilds.reduce((sum, guild) => sum + (guild.memberCount ?? 0), 0),
          shardId,
          shardCount: info.TOTAL_SHARDS,
        });
        console.log(`botstatsd: cluster ${client.cluster.id} shard ${shardId}: ${result.outcome}`);
      } catch (error) {
        // 'forbidden': not in the group botstatsd; ENOENT/ECONNREFUSED: the daemon is not
        // running. The next round tries again.
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
