/// The command line of `touchpoint-generate`, parsed by hand so the target depends on nothing.
struct Options {
    /// Number of customers; each gets exactly one `identify`.
    var customers = 0
    /// Exact number of lines written.
    var events = 0
    /// Days over which sessions start.
    var days = 60
    /// Seed of the xoshiro256** stream and of the per-customer hashes.
    var seed: UInt64 = 42
    /// Start of the window, epoch milliseconds (UTC).
    var startMs: Int64 = 1_704_067_200_000
    /// The `--start` text as given, echoed in the summary.
    var startText = "2024-01-01T00:00:00Z"
    /// Share of carts left in the session without an order.
    var abandonRate = 0.10
    /// Share of abandoned carts ordered 1.5-72 h later.
    var recoverRate = 0.25
    /// Size of the product catalogue.
    var products = 5000
    /// Output path, `-` for standard output.
    var out = ""

    static let usage = """
        usage: touchpoint-generate --customers C --events N [--days D=60] [--seed S=42]
                                   [--start 2024-01-01T00:00:00Z] [--abandon-rate 0.10]
                                   [--recover-rate 0.25] [--products 5000] --out FILE|-

        Writes exactly N Segment-shaped JSON lines (one identify per customer, the rest track events),
        sorted by timestamp, streaming day by day. Same arguments -> byte-identical output.
        A JSON summary line goes to stderr.
        """

    /// An argument error, printed with the usage.
    struct Failure: Error {
        /// What was wrong.
        let message: String
    }

    /// Parses `arguments` (without the program name).
    static func parse(_ arguments: [String]) throws(Failure) -> Options {
        var options = Options()
        var sawCustomers = false
        var sawEvents = false
        var index = 0
        func value(_ flag: String) throws(Failure) -> String {
            index += 1
            guard index < arguments.count else { throw Failure(message: "\(flag) needs a value") }
            return arguments[index]
        }
        func integer(_ flag: String) throws(Failure) -> Int {
            let text = try value(flag).replacingUnderscores()
            guard let number = Int(text), number >= 0 else {
                throw Failure(message: "\(flag): '\(text)' is not a non-negative integer")
            }
            return number
        }
        func rate(_ flag: String) throws(Failure) -> Double {
            let text = try value(flag)
            guard let number = Double(text), number >= 0, number <= 1 else {
                throw Failure(message: "\(flag): '\(text)' is not a number in 0...1")
            }
            return number
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--customers":
                options.customers = try integer(argument)
                sawCustomers = true
            case "--events":
                options.events = try integer(argument)
                sawEvents = true
            case "--days": options.days = try integer(argument)
            case "--seed": options.seed = UInt64(try integer(argument))
            case "--products": options.products = try integer(argument)
            case "--abandon-rate": options.abandonRate = try rate(argument)
            case "--recover-rate": options.recoverRate = try rate(argument)
            case "--start":
                let text = try value(argument)
                guard let ms = parseStart(text) else {
                    throw Failure(message: "--start: '\(text)' is not YYYY-MM-DDTHH:MM:SSZ")
                }
                options.startMs = ms
                options.startText = text
            case "--out": options.out = try value(argument)
            case "-h", "--help": throw Failure(message: "")
            default: throw Failure(message: "unknown argument '\(argument)'")
            }
            index += 1
        }
        guard sawCustomers, sawEvents, !options.out.isEmpty else {
            throw Failure(message: "--customers, --events and --out are required")
        }
        guard options.customers >= 1, options.customers < 1 << 31 else {
            throw Failure(message: "--customers must be in 1..<2^31")
        }
        guard options.events >= options.customers else {
            throw Failure(message: "--events must be >= --customers (one identify per customer)")
        }
        guard options.days >= 1, options.days <= 100_000 else {
            throw Failure(message: "--days must be in 1...100000")
        }
        guard options.products >= 1, options.products <= Catalogue.maxProducts else {
            throw Failure(message: "--products must be in 1...\(Catalogue.maxProducts)")
        }
        return options
    }

    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` to epoch milliseconds; nothing else is accepted.
    static func parseStart(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 20 || b.count == 24, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            b[b.count - 1] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var n = 0
            for i in from..<(from + count) {
                guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                n = n * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return n
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month),
            (1...31).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var millis = 0
        if b.count == 24 {
            guard b[19] == UInt8(ascii: "."), let m = number(20, 3) else { return nil }
            millis = m
        }
        let days = Int64(Calendar.daysFromCivil(year: year, month: month, day: day))
        return days * 86_400_000 + Int64(hour * 3_600_000 + minute * 60_000 + second * 1000 + millis)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(self.filter { $0 != "_" })
    }
}
