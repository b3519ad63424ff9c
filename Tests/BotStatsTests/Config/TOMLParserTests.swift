import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// The TOML parser: every TOML 1.0 form the configuration can use, positions for every key, and
/// syntax errors as a line, a column and a plain sentence that never quotes a value.
@Suite struct TOMLParserTests {
    /// A compact, canonical rendering of a parsed document, to compare against one line.
    static func render(_ node: TOMLNode) -> String {
        switch node {
        case .string(let text):
            return "\"" + text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "\""
        case .integer(let number): return "\(number)"
        case .float(let number): return number.isNaN ? "nan" : "\(number)"
        case .boolean(let flag): return "\(flag)"
        case .dateTime(let text): return "dt(\(text))"
        case .array(let elements): return "[" + elements.map(render).joined(separator: ",") + "]"
        case .table(let table): return render(table)
        }
    }

    static func render(_ table: TOMLTableNode) -> String {
        "{" + table.entries.map { "\($0.key)=\(render($0.value))" }.joined(separator: ",") + "}"
    }

    static func parse(_ text: String) throws -> String {
        render(try TOMLParser.parse(text))
    }

    @Test(arguments: [
        ("", "{}"),
        ("# only a comment\n\n", "{}"),
        ("a = 1\nb = \"two\"\nc = true\nd = false\n", "{a=1,b=\"two\",c=true,d=false}"),
        ("[bot]\nid = \"123456789012345678\"\n", "{bot={id=\"123456789012345678\"}}"),
        ("[targets.topgg]\ntoken_file = \"t\"\n[targets.dbl]\nprovider = \"x\"\n", "{targets={topgg={token_file=\"t\"},dbl={provider=\"x\"}}}"),
        ("[ a . \"b c\" . 'd' ]\nx = 1\n", "{a={b c={d={x=1}}}}"),
        ("a.b.c = 1\na.b.d = 2\n", "{a={b={c=1,d=2}}}"),
        ("\"quoted key\" = 1\n'literal key' = 2\n\"\" = 3\n", "{quoted key=1,literal key=2,=3}"),
        ("s = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600\"\n", "{s=\"tab\\u{9}here \"q\" \\ \\u{e9} \\u{1f600}\"}"),
        ("s = 'C:\\path\\no escapes'\n", "{s=\"C:\\path\\no escapes\"}"),
        ("s = \"\"\"\nline 1\nline 2\"\"\"\n", "{s=\"line 1\\u{a}line 2\"}"),
        ("s = \"\"\"\\\n   joined \\\n   up\"\"\"\n", "{s=\"joined up\"}"),
        ("s = \"\"\"two \"\" quotes\"\"\"\"\"\n", "{s=\"two \"\" quotes\"\"\"}"),
        ("s = '''\nraw \\n ''line'''\n", "{s=\"raw \\n ''line\"}"),
        ("s = \"a\\u0000b\"\n", "{s=\"a\\u{0}b\"}"),
        ("n = [1_000, -17, +5, 0, 0xdead_BEEF, 0o755, 0b1101]\n", "{n=[1000,-17,5,0,3735928559,493,13]}"),
        ("f = [1.5, -0.01, 5e+22, 1E6, 6.626e-34, 9_224.5]\n", "{f=[1.5,-0.01,5e+22,1000000.0,6.626e-34,9224.5]}"),
        ("f = [inf, -inf, nan]\n", "{f=[inf,-inf,nan]}"),
        ("i = 9223372036854775807\nj = -9223372036854775808\n", "{i=9223372036854775807,j=-9223372036854775808}"),
        (
            "d = [1979-05-27T07:32:00Z, 1979-05-27 00:32:00.999-07:00, 1979-05-27T07:32:00, 1979-05-27, 07:32:00.5]\n",
            "{d=[dt(1979-05-27T07:32:00Z),dt(1979-05-27 00:32:00.999-07:00),dt(1979-05-27T07:32:00),dt(1979-05-27),dt(07:32:00.5)]}"
        ),
        ("a = [\n  1, # one\n  2,\n]\n", "{a=[1,2]}"),
        ("a = [[1, 2], [\"x\"], []]\n", "{a=[[1,2],[\"x\"],[]]}"),
        ("h = { Authorization = \"Bot {token}\", X-A = \"b\", n.m = 1 }\n", "{h={Authorization=\"Bot {token}\",X-A=\"b\",n={m=1}}}"),
        ("h = {}\n", "{h={}}"),
        ("[[list]]\nx = 1\n[[list]]\nx = 2\n[list.sub]\ny = 3\n", "{list=[{x=1},{x=2,sub={y=3}}]}"),
        ("[a.b.c]\nx = 1\n[a]\ny = 2\n", "{a={b={c={x=1}},y=2}}"),
        ("[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true\n", "{fruit={apple={color=\"red\",texture={smooth=true}}}}"),
        ("\u{FEFF}a = 1\r\nb = 2\r\n", "{a=1,b=2}"),
        ("a = 1 # trailing comment\n", "{a=1}"),
    ])
    func validDocumentsParse(text: String, expected: String) throws {
        #expect(try Self.parse(text) == expected)
    }

    @Test(
        arguments: [
            ("[bot\nid = 1\n", 1, 5, "the table header is missing its closing ']'"),
            ("a = \"open\nb = 1\n", 1, 5, "missing its closing '\"' on the same line"),
            ("a =\n", 1, 4, "expected a value after '='"),
            ("a 1\n", 1, 3, "expected '=' after the key"),
            ("log_level = debug\n", 1, 13, "text must be in quotes"),
            ("a = 1 2\n", 1, 7, "unexpected text after the value"),
            ("a = 1\na = 2\n", 2, 1, "duplicate key a (first set on line 1)"),
            ("[bot]\nx = 1\n[bot]\n", 3, 1, "table [bot] is defined twice (first on line 1)"),
            ("id = 123456789012345678901\n", 1, 6, "too large for a 64-bit integer; if it is an id, quote it"),
            ("a = 012\n", 1, 5, "may not start with 0"),
            ("a = 1__0\n", 1, 5, "not a valid number"),
            ("a = 0x-1\n", 1, 5, "not a valid number"),
            ("a = .5\n", 1, 5, "not a valid number"),
            ("a = \"\\q\"\n", 1, 6, "unknown escape"),
            ("a = \"\\uD800\"\n", 1, 6, "not a Unicode scalar value"),
            ("h = { a = 1,\n b = 2 }\n", 1, 13, "must be closed on the line it starts"),
            ("h = { a = 1, }\n", 1, 14, "may not end with a comma"),
            ("a = [1, 2\n", 1, 5, "missing its closing ']'"),
            ("a = 1979-02-30\n", 1, 5, "not a valid date or time"),
            ("a = 07:32\n", 1, 5, "a time needs seconds"),
            ("a = 1\rb = 2\n", 1, 6, "carriage return must be followed by a line feed"),
            ("a = \"x\u{1}y\"\n", 1, 7, "control characters"),
            ("# bell \u{7}\n", 1, 8, "a comment may not hold control characters"),
            ("a = { b = 1 }\n[a.c]\n", 2, 1, "is an inline table on line 1"),
            ("a.b = 1\n[a]\n", 2, 1, "table [a] is already defined by dotted keys on line 1"),
            ("[a.b]\nx = 1\n[a]\nb.y = 2\n", 4, 1, "defined by a header on line 1"),
            ("a = [1]\n[[a]]\n", 2, 1, "already defined on line 1 as something else"),
            ("a = 1\na.b = 2\n", 2, 1, "a already holds a value (line 1)"),
            ("ключ = 1\n", 1, 1, "a bare key may only hold letters, digits"),
            ("é = \"x\" = 1\n", 1, 1, "a bare key may only hold"),
            ("a = \"é\" x\n", 1, 9, "unexpected text after the value"),
        ] as [(String, Int, Int, String)])
    func syntaxErrorsGiveLineColumnAndAPlainMessage(text: String, line: Int, column: Int, message: String) {
        #expect(throws: TOMLSyntaxError.self) { try TOMLParser.parse(text) }
        do {
            _ = try TOMLParser.parse(text)
        } catch {
            #expect(error.position == TOMLPosition(line: line, column: column), "\(error)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test(arguments: [
        "token = tgg-SECRET-unquoted-value\n",
        "token = \"tgg-SECRET-unterminated\n",
        "[bot]\nid = tgg-SECRET-in-id\n",
        "tgg-SECRET-as-key\n",
        "a = 1 tgg-SECRET-after\n",
        "a = [tgg-SECRET-in-array]\n",
    ])
    func syntaxErrorsNeverQuoteTheText(text: String) {
        do {
            _ = try TOMLParser.parse(text)
            Issue.record("expected a syntax error")
        } catch {
            #expect(!error.message.contains("SECRET"), "\(error.message)")
        }
    }

    @Test func everyKeyKnowsItsLineIncludingImplicitAndInlineTables() throws {
        let document = try TOMLParser.parse(
            """
            # comment
            [target.topgg]
            token_file = "t"

            [targets.dbl]
            headers = { Authorization = "x", X-B = "y" }
            """)
        #expect(document.position(of: "target")?.line == 2)
        guard case .table(let target)? = document["target"], case .table(let topgg)? = target["topgg"] else {
            Issue.record("no target.topgg")
            return
        }
        #expect(topgg.position?.line == 2)
        #expect(topgg.position(of: "token_file") == TOMLPosition(line: 3, column: 1))
        guard case .table(let targets)? = document["targets"], case .table(let dbl)? = targets["dbl"],
            case .table(let headers)? = dbl["headers"]
        else {
            Issue.record("no targets.dbl.headers")
            return
        }
        #expect(dbl.position(of: "headers")?.line == 6)
        #expect(headers.position(of: "X-B") == TOMLPosition(line: 6, column: 34))
    }

    @Test func deepNestingIsRefusedInsteadOfExhaustingTheStack() {
        let deep = "a = " + String(repeating: "[", count: 100_000) + "\n"
        do {
            _ = try TOMLParser.parse(deep)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("nested more than 64 deep"))
        }
        #expect(throws: Never.self) {
            _ = try TOMLParser.parse("a = " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "\n")
        }
    }

    @Test func columnsCountCharactersNotBytes() {
        do {
            _ = try TOMLParser.parse("\"ключ\" = ?\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.position == TOMLPosition(line: 1, column: 10))
        }
    }
}
