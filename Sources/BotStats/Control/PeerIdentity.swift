#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Who is on the other end of a control connection, from `SO_PEERCRED`.
package struct PeerIdentity: Sendable, Equatable {
    package var pid: Int32
    package var uid: UInt32
    package var gid: UInt32
    /// The supplementary groups the peer process has (`SO_PEERGROUPS`); nil when unknown.
    package var groups: [UInt32]?

    package init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32]? = nil) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }
}

/// Which peers may change the daemon (`set`, `post`, `reload`); anyone who can connect may read.
///
/// Allowed: root, the daemon's own uid, and members of the control socket's group (primary or
/// supplementary). The socket's 0660 mode already keeps others out; this holds even when an
/// operator loosens that mode.
package struct ControlAccessPolicy: Sendable {
    package let daemonUID: UInt32
    /// The group of the socket file; nil when it could not be read (then only root and the daemon).
    package let socketGroup: UInt32?
    private let isMember: @Sendable (_ uid: UInt32, _ gid: UInt32) -> Bool

    package init(
        daemonUID: UInt32, socketGroup: UInt32?,
        isMember: @escaping @Sendable (_ uid: UInt32, _ gid: UInt32) -> Bool = ControlAccessPolicy.systemGroupMembership
    ) {
        self.daemonUID = daemonUID
        self.socketGroup = socketGroup
        self.isMember = isMember
    }

    /// Root or the daemon's own user: may use the connections reserved beyond the cap.
    package func isPrivileged(_ peer: PeerIdentity?) -> Bool {
        guard let peer else { return false }
        return peer.uid == 0 || peer.uid == daemonUID
    }

    /// Whether `peer` may run mutating commands; an unknown peer may not.
    ///
    /// Group membership is what the peer process really has (`SO_PEERGROUPS`), and only when
    /// the kernel could not say, what the user database says. A zero in the kernel's list may be
    /// unused room, so the root group counts only as the peer's primary group.
    package func mayChange(_ peer: PeerIdentity?) -> Bool {
        guard let peer else { return false }
        if isPrivileged(peer) { return true }
        guard let socketGroup else { return false }
        if peer.gid == socketGroup { return true }
        if let groups = peer.groups {
            return socketGroup != 0 && groups.contains(socketGroup)
        }
        return isMember(peer.uid, socketGroup)
    }

    /// Supplementary group membership from the user database (`getgrouplist(3)`).
    package static let systemGroupMembership: @Sendable (UInt32, UInt32) -> Bool = { uid, gid in
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return false
        }
        var count: Int32 = 256
        var groups = [gid_t](repeating: 0, count: Int(count))
        guard getgrouplist(name, entry.pw_gid, &groups, &count) >= 0 else { return false }
        return groups.prefix(Int(count)).contains(gid)
    }
}
