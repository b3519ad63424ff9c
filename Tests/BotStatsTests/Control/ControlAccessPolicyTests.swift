import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// Who may change the daemon: root, its own user, and members of the socket's group, judged by
/// the groups the peer process really has.
@Suite struct ControlAccessPolicyTests {
    let policy = ControlAccessPolicy(daemonUID: 998, socketGroup: 990, isMember: { uid, gid in uid == 1000 && gid == 990 })

    @Test(arguments: [
        (PeerIdentity(pid: 1, uid: 0, gid: 0), true),
        (PeerIdentity(pid: 1, uid: 998, gid: 998), true),
        (PeerIdentity(pid: 1, uid: 1001, gid: 990), true),
        (PeerIdentity(pid: 1, uid: 1000, gid: 1000), true),
        (PeerIdentity(pid: 1, uid: 1002, gid: 1002), false),
        (PeerIdentity(pid: 1, uid: 65534, gid: 65534), false),
    ])
    func mutatingNeedsRootTheDaemonOrTheSocketGroup(peer: PeerIdentity, allowed: Bool) {
        #expect(policy.mayChange(peer) == allowed)
    }

    @Test func anUnknownPeerMayNotChangeAnything() {
        #expect(!policy.mayChange(nil))
    }

    @Test func forbiddenPeersStillGetStatus() async {
        struct Backend: ControlBackend {
            func status(bot: String?) async throws(ControlError) -> StatusReport { HealthCheckTests.report([]) }
            func set(bot: String?, update: CountsUpdate) async throws(ControlError) -> SetResult {
                Issue.record("set must not run")
                throw ControlError(.internal, "x")
            }
            func post(bot: String?, target: String?) async throws(ControlError) -> [PostResult] { [] }
            func reload() async throws(ControlError) -> ReloadResult { ReloadResult(configPath: "", bots: 0, targets: 0) }
            func metrics() async -> String { "" }
        }
        let handler = ControlCommandHandler(backend: Backend())
        let set = await handler.respond(to: Array(#"{"v":1,"cmd":"set","servers":1}"#.utf8), mayChange: false)
        #expect(set.contains(#""code":"forbidden""#))
        let status = await handler.respond(to: Array(#"{"v":1,"cmd":"status"}"#.utf8), mayChange: false)
        #expect(status.contains(#""ok":true"#))
    }

    static let socketGroup: UInt32 = 4242
    static let policy = ControlAccessPolicy(daemonUID: 995, socketGroup: socketGroup, isMember: { _, _ in false })

    @Test(arguments: [
        (PeerIdentity(pid: 1, uid: 0, gid: 0), true),
        (PeerIdentity(pid: 1, uid: 995, gid: 995), true),
        (PeerIdentity(pid: 1, uid: 1000, gid: 4242), true),
        (PeerIdentity(pid: 1, uid: 1000, gid: 1000, groups: [27, 4242]), true),
        (PeerIdentity(pid: 1, uid: 1000, gid: 1000, groups: [27, 0, 0]), false),
        (PeerIdentity(pid: 1, uid: 1000, gid: 1000, groups: []), false),
    ])
    func theKernelsGroupListDecides(peer: PeerIdentity, allowed: Bool) {
        #expect(Self.policy.mayChange(peer) == allowed)
    }

    /// The kernel's list of the peer's groups wins over the user database: a user added to the
    /// group after logging in does not have it yet, and one removed still has it until then.
    @Test func thePeersOwnGroupsWinOverTheUserDatabase() {
        let databaseSaysMember = ControlAccessPolicy(daemonUID: 995, socketGroup: 4242, isMember: { _, _ in true })
        #expect(!databaseSaysMember.mayChange(PeerIdentity(pid: 1, uid: 1000, gid: 1000, groups: [27])))
        #expect(databaseSaysMember.mayChange(PeerIdentity(pid: 1, uid: 1000, gid: 1000, groups: nil)))
    }

    /// Zeros in the kernel's answer may be unused room, so they never make a peer a member of
    /// the root group.
    @Test func zerosInTheGroupListDoNotMeanTheRootGroup() {
        let rootGroup = ControlAccessPolicy(daemonUID: 995, socketGroup: 0, isMember: { _, _ in false })
        #expect(!rootGroup.mayChange(PeerIdentity(pid: 1, uid: 1000, gid: 1000, groups: [0, 0, 0])))
        #expect(rootGroup.mayChange(PeerIdentity(pid: 1, uid: 1000, gid: 0)))
    }

    @Test func rootAndTheDaemonAreTheOnlyPrivilegedPeers() {
        #expect(Self.policy.isPrivileged(PeerIdentity(pid: 1, uid: 0, gid: 0)))
        #expect(Self.policy.isPrivileged(PeerIdentity(pid: 1, uid: 995, gid: 1)))
        #expect(!Self.policy.isPrivileged(PeerIdentity(pid: 1, uid: 1000, gid: 4242)))
        #expect(!Self.policy.isPrivileged(nil))
    }
}
