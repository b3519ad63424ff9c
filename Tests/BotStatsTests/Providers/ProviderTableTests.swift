import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// The provider table's names: current ones, and old ones kept working after a list renamed itself.
@Suite struct ProviderTableTests {
    @Test func infinitybotsIsRenamedToOmniplexWithANotice() throws {
        let rename = try #require(ProviderTable.renamed["infinitybots"])
        #expect(rename.newName == "omniplex")
        #expect(rename.notice.contains("\"infinitybots\""))
        #expect(rename.notice.contains("provider = \"omniplex\""))
        #expect(rename.notice.contains("https://spider.omniplex.gg"))
    }

    @Test func everyOldNameResolvesToItsNewProviderAndNeverShadowsACurrentOne() throws {
        for (old, rename) in ProviderTable.renamed {
            #expect(!ProviderTable.all.contains { $0.name == old }, "\(old) is still a current name")
            let current = try #require(ProviderTable.provider(named: rename.newName), "\(rename.newName) is not in the table")
            #expect(ProviderTable.provider(named: old) == current)
            #expect(!ProviderTable.acceptedNames.contains(old), "old names are accepted but not suggested")
        }
    }

    @Test func unknownNamesAreStillUnknown() {
        #expect(ProviderTable.provider(named: "infinity") == nil)
        #expect(ProviderTable.provider(named: "Omniplex") == nil)
        #expect(ProviderTable.provider(named: "custom") == nil)
    }
}
