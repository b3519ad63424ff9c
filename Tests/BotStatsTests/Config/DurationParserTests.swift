import Testing
@testable import BotStats
