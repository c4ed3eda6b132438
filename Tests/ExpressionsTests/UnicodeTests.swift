import Foundation
import Testing
import TouchpointCore

@testable import Expressions

/// CEL strings are sequences of code points: no normalisation, sizes and offsets in scalars
/// (issue 16). Each case is also what cel-python answers (see `CELDifferentialTests`).
@Suite("Strings are code points")
struct UnicodeTests {
    @Test("equality and order are by code point, not canonical equivalence")
    func equalityAndOrder() throws {
        #expect(try value(#"'\u00e9' == 'e\u0301'"#) == false)
        #expect(try value(#"'\u00e9' != 'e\u0301'"#) == true)
        #expect(try value(#"'e\u0301' in ['\u00e9']"#) == false)
        #expect(try value(#"['e\u0301'] == ['\u00e9']"#) == false)
        // 'a' + U+0301 sorts after 'b' by code point? No: 'a' < 'b' decides at the first scalar.
        #expect(try value(#"'a\u0301' < 'b'"#) == true)
        // U+00E9 (é) is above 'f' by code point, though it would collate with 'e'.
        #expect(try value(#"'\u00e9' > 'f'"#) == true)
        #expect(try value(#"'\uFF21' > 'z'"#) == true)
    }

    @Test("size counts code points; startsWith, endsWith and contains match scalars")
    func sizeAndTests() throws {
        #expect(try value(#"size('e\u0301')"#) == 2)
        #expect(try value(#"size('👍🏽')"#) == 2)
        #expect(try value(#"size('雷')"#) == 1)
        #expect(try value(#"'e\u0301'.startsWith('e')"#) == true)
        #expect(try value(#"'e\u0301'.endsWith('\u0301')"#) == true)
        #expect(try value(#"'ae\u0301b'.contains('e')"#) == true)
        #expect(try value(#"'\u00e9'.startsWith('e')"#) == false)
    }

    @Test("a raw combining mark or joiner after a quote or escape lexes as part of the string")
    func rawMarks() throws {
        #expect(try value("'\u{301}' == '\\u0301'") == true)
        #expect(try value("'\\n\u{301}' == '\\n\\u0301'") == true)
        #expect(try value("'\u{200D}x'.startsWith('\\u200d')") == true)
        #expect(try value("size(\"\u{301}\u{301}\")") == 2)
    }

    @Test("error offsets count code points, so a column after multi-scalar characters is right")
    func offsets() throws {
        // 'e' + U+0301 is one Character but two scalars: the ')' is at scalar offset 8.
        let source = "'e\u{301}👍🏽' == x )"
        #expect(throws: ExpressionError.self) { try Expression(parsing: source) }
        do {
            _ = try Expression(parsing: source)
        } catch {
            #expect(error.offset == Array(source.unicodeScalars).firstIndex(of: ")"))
            #expect(error.offset == 12)
        }
        do {
            _ = try Expression(parsing: "'\u{301}' # 1")
        } catch {
            #expect(error.offset == 4)
            #expect(error.message == "unexpected character '#'")
        }
    }

    @Test("numbers are doubles: 7 / 2 is 3.5, and 1 == 1.0")
    func doubles() throws {
        #expect(try value("7 / 2") == 3.5)
        #expect(try value("1 == 1.0") == true)
        #expect(try value("7 % 2") == 1)
    }
}
