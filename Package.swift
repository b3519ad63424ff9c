// swift-tools-version:6.0
import Foundation
import PackageDescription

// `make` passes the git revision the binaries are built from; only CBuildInfo sees it, so a new
// revision rebuilds one small C file, not the package.
let gitRevision = ProcessInfo.processInfo.environment["BOTSTATSD_GIT_REVISION"].flatMap { revision in
    revision.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." } && !revision.isEmpty ? revision : nil
}

let package = Package(
    name: "botstatsd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "botstatsd", targets: ["botstatsd"]),
        .executable(name: "botstatsctl", targets: ["botstatsctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(
            name: "CBuildInfo",
            cSettings: gitRevision.map { [.define("BOTSTATSD_GIT_REVISION", to: "\"\($0)\"")] } ?? []
        ),
        // The control protocol, shared by the daemon and botstatsctl: requests, answers, the status
        // object and its rendering, the socket client. Nothing heavier than the standard library
        // and FoundationEssentials, so botstatsctl stays small.
        .target(
            name: "BotStatsProtocol",
            dependencies: ["CBuildInfo"]
        ),
        .target(
            name: "BotStats",
            dependencies: [
                "BotStatsProtocol",
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "botstatsd",
            dependencies: [
                "BotStats",
                "BotStatsProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "botstatsctl",
            dependencies: [
                "BotStatsProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "BotStatsTests",
            dependencies: [
                "BotStats",
                "BotStatsProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)

// Every target in Swift 6 mode with the same upcoming features, set in one place.
for target in package.targets where target.type != .system && target.name != "CBuildInfo" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
