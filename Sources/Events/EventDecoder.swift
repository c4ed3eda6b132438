import TouchpointCore

/// Decodes one JSON Lines line in the Segment spec shape into an ``Event`` (SPEC §1).
///
/// Rules, beyond "valid JSON object":
/// - `type` is required: `track`, `identify`, or `page`/`screen`/`group`/`alias` (``Event/Kind/other(_:)``).
/// - `userId` is required and non-empty. A whole-number `userId` (`42`) is accepted as its decimal
///   string (`"42"`), because producers that key users by integer ids are common; any other type is rejected.
/// - `timestamp` is required: ISO 8601 with `Z` or a numeric offset, which is kept in ``Timestamp/offsetSeconds``.
/// - `event` is required (non-empty string) for `track`; ignored for other types.
/// - `messageId` is optional; a string, or `null`. The empty string counts as absent, so that empty ids
///   do not deduplicate one another.
/// - `properties` is optional (object or `null`) for every type.
/// - For `identify`, traits are `context.traits` overlaid with top-level `traits` (both optional objects).
///   Other types keep no traits: `group` traits describe the group, not the user.
/// - A UTF-8 byte order mark at the start of the line is skipped.
/// - `userId`, `messageId`, `event` and `type` are keys (of stored rows, timers, deduplication) and must not
///   hold a control character (U+0000–U+001F, U+007F–U+009F), escaped or not: an escaped `\u0000` would
///   otherwise reach SQLite, which cuts C strings at the NUL, and `victim\u0000x` would become `victim`.
public struct EventDecoder: Sendable {
    /// When set, only `track` events with one of these names keep their `properties`; every other line's
    /// `properties` object is validated as strictly (same errors) and skipped, never built, and its event has
    /// none. `nil`, the default, keeps every event's. For a replay whose engine reads the properties of only
    /// some events (``Engine/eventsReadingProperties``): building the rest was a sixth of its time.
    public var propertiesRead: Set<String>? {
        get { propertiesFilter?.names }
        set { propertiesFilter = newValue.map(EventNameFilter.init) }
    }
    private var propertiesFilter: EventNameFilter?

    /// Creates a decoder.
    public init() {}

    /// One line's outcome: the event, or why the line was rejected.
    public typealias Decoded = Result<Event, EventRejection>

    /// The `type` values Touchpoint reads.
    public static let knownTypes = ["track", "identify", "page", "screen", "group", "alias"]

    /// Decodes `line` (without its line terminator) from `file` at 1-based `lineNumber`.
    ///
    /// Returns `nil` for a blank line (only whitespace): blank lines are skipped, not rejected.
    public func decode(line: UnsafeBufferPointer<UInt8>, file: String, lineNumber: Int) -> Decoded? {
        var line = line
        if line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
            line = UnsafeBufferPointer(rebasing: line[3...])
        }
        guard let base = line.baseAddress, line.contains(where: { !Self.isWhitespace($0) }) else {
            return nil
        }
        var parser = JSONParser(base: base, count: line.count)
        var fields = Fields()
        fields.skipsProperties = propertiesFilter != nil
        do throws(JSONError) {
            parser.skipWhitespace()
            if parser.base[parser.index] != UInt8(ascii: "{") {
                // Not an object: the full parse yields either the syntax error or the value's type.
                let value = try parser.parseDocument()
                return .failure(
                    EventRejection(
                        file: file, line: lineNumber,
                        reason: "expected a JSON object, found \(value.typeName)"))
            }
            try parser.forEachMember(depth: 1) { key, parser throws(JSONError) in
                try fields.read(key, &parser)
            }
            parser.skipWhitespace()
            guard parser.index == parser.count else {
                throw parser.error("unexpected \(parser.describeCurrent()) after the JSON value")
            }
            if let skipped = fields.skippedProperties, let propertiesFilter,
                case .string("track")? = fields.type,
                case .string(let name)? = fields.event, propertiesFilter.contains(name)
            {
                // Validated already, so this parse cannot fail.
                var again = JSONParser(base: base, count: line.count)
                again.index = skipped
                fields.properties = try again.parseValue(depth: 1)
            }
        } catch {
            let column = Self.column(ofByte: error.offset, in: line)
            return .failure(
                EventRejection(
                    file: file, line: lineNumber, column: column,
                    reason: "invalid JSON at column \(column): \(error.message)"))
        }
        do {
            var event = try Self.event(from: fields) {
                // Only for a "did you mean" hint on a missing field: the line is known to be a valid object.
                (try? JSON.parse(line))?.objectValue.map { Array($0.keys) } ?? []
            }
            event.source = SourceLocation(file: file, line: lineNumber)
            return .success(event)
        } catch {
            return .failure(EventRejection(file: file, line: lineNumber, reason: error.reason))
        }
    }

    /// Decodes a line from a ``JSONLinesReader``; a line the reader skipped as too long is rejected with
    /// `line too long (N bytes)`. Returns `nil` for a blank line.
    public func decode(_ line: JSONLinesReader.Line, file: String) -> Decoded? {
        guard !line.tooLong else {
            let length = line.endOffset - line.startOffset
            return .failure(
                EventRejection(file: file, line: line.number, reason: "line too long (\(length) bytes)"))
        }
        return decode(line: line.bytes, file: file, lineNumber: line.number)
    }

    /// Decodes a line given as text; see ``decode(line:file:lineNumber:)``.
    public func decode(line: String, file: String, lineNumber: Int) -> Decoded? {
        var text = line
        return text.withUTF8 { decode(line: $0, file: file, lineNumber: lineNumber) }
    }

    /// The top-level members the decoder reads; everything else is validated and skipped unbuilt.
    struct Fields {
        var type: JSONValue?
        var userId: JSONValue?
        var timestamp: JSONValue?
        var event: JSONValue?
        var messageId: JSONValue?
        var properties: JSONValue?
        var traits: JSONValue?
        var contextTraits: JSONValue?
        /// Whether an object `properties` is validated and skipped rather than built (``propertiesRead``).
        var skipsProperties = false
        /// Where a skipped `properties` object starts in the line; `properties` is then `nil`.
        var skippedProperties: Int?

        /// Consumes the value of member `key`, keeping it when it is one of ours (the last duplicate wins).
        mutating func read(_ key: UnsafeBufferPointer<UInt8>, _ parser: inout JSONParser) throws(JSONError) {
            if JSONParser.key(key, is: "type") {
                type = try parser.parseValue(depth: 1)
            } else if JSONParser.key(key, is: "userId") {
                userId = try parser.parseValue(depth: 1)
            } else if JSONParser.key(key, is: "timestamp") {
                timestamp = try parser.parseValue(depth: 1)
            } else if JSONParser.key(key, is: "event") {
                event = try parser.parseValue(depth: 1)
            } else if JSONParser.key(key, is: "messageId") {
                messageId = try parser.parseValue(depth: 1)
            } else if JSONParser.key(key, is: "properties") {
                // Only an object is skipped: anything else is kept for its "must be an object" rejection.
                if skipsProperties, parser.index < parser.count,
                    parser.base[parser.index] == UInt8(ascii: "{")
                {
                    let start = parser.index
                    try parser.skipValue(depth: 1)
                    properties = nil
                    skippedProperties = start
                } else {
                    properties = try parser.parseValue(depth: 1)
                    skippedProperties = nil
                }
            } else if JSONParser.key(key, is: "traits") {
                traits = try parser.parseValue(depth: 1)
            } else if JSONParser.key(key, is: "context"), parser.index < parser.count,
                parser.base[parser.index] == UInt8(ascii: "{")
            {
                // Segment contexts carry much (library, ip, user agent); only `traits` matters here.
                var found: JSONValue? = nil
                try parser.forEachMember(depth: 2) { key, parser throws(JSONError) in
                    if JSONParser.key(key, is: "traits") {
                        found = try parser.parseValue(depth: 2)
                    } else {
                        try parser.skipValue(depth: 2)
                    }
                }
                contextTraits = found
            } else {
                try parser.skipValue(depth: 1)
            }
        }
    }

    /// Builds the event from the fields of a line, or says which field is wrong. `otherKeys` lists the
    /// line's top-level keys, for hints.
    static func event(from fields: Fields, otherKeys: () -> [String]) throws(FieldError) -> Event {
        let type = try requiredString("type", fields.type, otherKeys)
        try checkIdentifier(type, field: "type")
        let kind: Event.Kind
        switch type {
        case "track": kind = .track
        case "identify": kind = .identify
        case "page", "screen", "group", "alias": kind = .other(type)
        default:
            throw FieldError(
                "unknown event type '\(Excerpt.of(type))' (expected track, identify, page, screen, group or alias)"
                    + Suggest.didYouMean(type, in: knownTypes))
        }
        let userId = try self.userId(fields.userId, otherKeys)
        try checkIdentifier(userId, field: "userId")
        let timestampText = try requiredString("timestamp", fields.timestamp, otherKeys)
        guard let timestamp = ISO8601.parse(timestampText) else {
            throw FieldError("'timestamp' is not an ISO 8601 time with an offset: \(quoted(timestampText))")
        }
        var name: String? = nil
        if kind == .track {
            let text = try requiredString("event", fields.event, otherKeys)
            try checkIdentifier(text, field: "event")
            name = text
        }
        var messageId: String? = nil
        switch fields.messageId {
        case nil, .null?: break
        case .string(let s)?:
            try checkIdentifier(s, field: "messageId")
            messageId = s.isEmpty ? nil : s
        case let other?: throw FieldError("'messageId' must be a string, found \(other.typeName)")
        }
        let properties = try optionalObject("properties", fields.properties)
        var traits: [String: JSONValue] = [:]
        if kind == .identify {
            traits = try optionalObject("context.traits", fields.contextTraits)
            let top = try optionalObject("traits", fields.traits)
            if traits.isEmpty {
                traits = top
            } else {
                traits.merge(top) { _, new in new }
            }
        }
        return Event(
            kind: kind, name: name, userId: userId, messageId: messageId, timestamp: timestamp,
            properties: properties, traits: traits)
    }

    /// The first control character in `text` and its 1-based character position, or `nil` when there is none.
    public static func controlCharacter(in text: String) -> (scalar: Unicode.Scalar, position: Int)? {
        // Almost every id is clean, and a byte scan says so without decoding scalars: a C0 control or DEL is
        // one byte, a C1 control (U+0080-U+009F) is C2 80-C2 9F in UTF-8.
        // Over the contiguous bytes (every native string, small ones included): the view's iterator costs
        // several times as much per byte.
        let clean = text.utf8.withContiguousStorageIfAvailable(isClean) ?? isClean(Array(text.utf8))
        if clean { return nil }
        var position = 0
        for scalar in text.unicodeScalars {
            position += 1
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { return (scalar, position) }
        }
        return nil
    }

    /// Whether `bytes` (UTF-8) hold no C0 control, DEL or C1 control.
    private static func isClean(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if let p = bytes.baseAddress {
            // Eight bytes at a time while all are printable ASCII (0x20-0x7E), as ids almost always are. A high
            // bit in the mask: a byte below 0x20, a 0x7F (plus one sets its high bit; nothing carries between
            // bytes below 0x80), or a non-ASCII byte; then the byte loop below decides.
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while i + 8 <= bytes.count {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if (((w &- ones &* 0x20) & ~w) | (w &+ ones) | w) & highs != 0 { break }
                i += 8
            }
        }
        // Every byte before `i` is ASCII, so none of them starts a C1 control.
        var previous: UInt8 = 0
        for byte in bytes[i...] {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte & 0xE0 == 0x80) { return false }
            previous = byte
        }
        return true
    }

    private static func isClean(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer(isClean) }

    /// Why `text` cannot be the id in `field`, or `nil` when it can: the reason a line is quarantined with.
    public static func identifierProblem(_ text: String, field: String) -> String? {
        guard let (scalar, position) = controlCharacter(in: text) else { return nil }
        let code = String(scalar.value, radix: 16, uppercase: true)
        return
            "'\(field)' contains a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code) "
            + "at character \(position)); ids must be printable text"
    }

    static func checkIdentifier(_ text: String, field: String) throws(FieldError) {
        if let problem = identifierProblem(text, field: field) { throw FieldError(problem) }
    }

    static func userId(_ value: JSONValue?, _ otherKeys: () -> [String]) throws(FieldError) -> String {
        switch value {
        case .string(let s)?:
            guard !s.isEmpty else { throw FieldError("'userId' must not be empty") }
            return s
        case .number(let n)? where n.isFinite && n.rounded() == n && abs(n) < 9_007_199_254_740_992:
            return String(Int64(n))
        case nil:
            throw missing("userId", otherKeys())
        case let other?:
            throw FieldError("'userId' must be a non-empty string, found \(other.typeName)")
        }
    }

    static func requiredString(
        _ key: String, _ value: JSONValue?, _ otherKeys: () -> [String]
    ) throws(FieldError) -> String {
        switch value {
        case .string(let s)?:
            guard !s.isEmpty else { throw FieldError("'\(key)' must not be empty") }
            return s
        case nil: throw missing(key, otherKeys())
        case let other?: throw FieldError("'\(key)' must be a string, found \(other.typeName)")
        }
    }

    static func optionalObject(_ key: String, _ value: JSONValue?) throws(FieldError) -> [String: JSONValue] {
        switch value {
        case nil, .null?: return [:]
        case .object(let o)?: return o
        case let other?: throw FieldError("'\(key)' must be an object, found \(other.typeName)")
        }
    }

    /// `missing required field 'userId'`, naming a present near miss such as `user_id`.
    static func missing(_ key: String, _ keys: [String]) -> FieldError {
        let near = keys.sorted().first { candidate in
            candidate != key && Suggest.nearest(candidate, in: [key]) != nil
        }
        let hint = near.map { "; found '\($0)', did you mean '\(key)'?" } ?? ""
        return FieldError("missing required field '\(key)'\(hint)")
    }

    /// A user's value in a message: JSON-quoted, and cut short so one bad line cannot flood a log.
    static func quoted(_ s: String) -> String {
        var out = ""
        JSONValue.writeQuoted(s.count > 64 ? String(s.prefix(64)) + "…" : s, to: &out)
        return out
    }

    /// The 1-based character column of byte `offset`: continuation bytes do not start a character.
    static func column(ofByte offset: Int, in line: UnsafeBufferPointer<UInt8>) -> Int {
        var column = 1
        for b in line.prefix(offset) where b & 0xC0 != 0x80 { column += 1 }
        return column
    }

    static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    /// A field-level reason; becomes an ``EventRejection`` once the place is known.
    struct FieldError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
