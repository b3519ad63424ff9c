// Hand a Discord bot's counts to botstatsd. No dependencies: node:net only (Node 18+).
//
//   const { setCounts } = require('./botstatsd-client');
//   await setCounts({ servers: 1520, users: 88000 });                          // the whole bot
//   await setCounts({ servers: 190, users: 11000, shardId: 3, shardCount: 8 }); // one shard's share
//
// The daemon saves the counts before it answers, then posts them to every configured list
// and reposts them on its own timer: call this when the counts change or every 30 minutes.
// The protocol is docs/protocol.md. From a shell:
//
//   node botstatsd-client.js --servers 1520 --users 88000 [--shard-id 3 --shard-count 8] [--bot NAME] [--socket PATH]
'use strict';
const net = require('node:net');

const DEFAULT_SOCKET = '/run/botstatsd/control.sock';

// Sends one request object; resolves with the `result` object. Rejects with an Error whose
// `code` is the daemon's error code ('unknown_bot', 'forbidden', …) or a system code
// ('ENOENT', 'ECONNREFUSED': the daemon is not running; 'EACCES': not in the group botstatsd).
function request(req, { socketPath, timeoutMs = 10000 } = {}) {
  const path = socketPath || process.env.BOTSTATSD_SOCKET || DEFAULT_SOCKET;
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`${path}: no answer`), { code: 'ETIMEDOUT' })));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      answer += chunk;
      const end = answer.indexOf('\n');
      if (end < 0) return;
      socket.end();
      let reply;
      try {
        reply = JSON.parse(answer.slice(0, end));
      } catch (error) {
        return reject(error);
      }
      if (reply.ok) return resolve(reply.result);
      reject(Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), { code: reply.error.code }));
    });
    socket.on('close', () => reject(new Error(`${path}: the daemon closed the connection without answering`)));
    socket.write(JSON.stringify({ v: 1, ...req }) + '\n');
  });
}

// Hands over new counts: the bot's total, or with shardId/shardCount one shard's share.
// Resolves with e.g. { bot: 'main', outcome: 'accepted', … }; outcome is 'accepted', 'held'
// (the drop guard) or 'waiting_for_shards'.
function setCounts({ servers, users, shards, shardId, shardCount, bot, socketPath } = {}) {
  const req = { cmd: 'set', servers, users, shards, shard_id: shardId, shard_count: shardCount, bot };
  for (const key of Object.keys(req)) if (req[key] === undefined || req[key] === null) delete req[key];
  return request(req, { socketPath });
}

module.exports = { request, setCounts };

if (require.main === module) {
  const args = {};
  for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  const number = (text) => (text === undefined ? undefined : Number(text));
  setCounts({
    servers: number(args.servers), users: number(args.users), shards: number(args.shards),
    shardId: number(args['shard-id']), shardCount: number(args['shard-count']), bot: args.bot, socketPath: args.socket,
  }).then(
    (result) => console.log(JSON.stringify(result)),
    (error) => {
      console.error(`botstatsd: ${error.message}`);
      process.exitCode = ['ENOENT', 'ECONNREFUSED', 'ENOTDIR'].includes(error.code) ? 3 : 1;
    },
  );
}
