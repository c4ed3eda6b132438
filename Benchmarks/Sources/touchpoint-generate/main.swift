#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// touchpoint-generate: deterministic Segment-shaped events for the benchmarks. See Benchmarks/README.md.

func printError(_ text: String, descriptor: Int32 = 2) {
    var text = text
    text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
}

/// Prints the usage (on stdout for `--help`, after the error on stderr otherwise) and exits.
func fail(_ message: String, status: Int32) -> Never {
    if message.isEmpty {
        printError(Options.usage + "\n", descriptor: 1)
    } else {
        printError("touchpoint-generate: \(message)\n\n\(Options.usage)\n")
    }
    exit(status)
}

let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail(error.message, status: error.message.isEmpty ? 0 : 2)
}

let clock = ContinuousClock()
let began = clock.now
var generator = Generator(options: options)
do {
    var out = try OutputFile(path: options.out)
    try generator.run(into: &out)
    try out.close()
} catch {
    printError("touchpoint-generate: \(error.message)\n")
    exit(1)
}
let elapsed = clock.now - began
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18

var byEvent: [String] = []
for kind in EventKind.allCases where generator.counts[Int(kind.rawValue)] > 0 {
    byEvent.append("\"\(kind.name)\":\(generator.counts[Int(kind.rawValue)])")
}
let stats = generator.stats
let carts = max(1, stats.carts)
let summary =
    "{\"events\":\(generator.written),\"customers\":\(options.customers),\"days\":\(options.days),"
    + "\"seed\":\(options.seed),\"start\":\"\(options.startText)\",\"sessions\":\(stats.sessions),"
    + "\"carts\":\(stats.carts),\"abandoned_in_session\":\(stats.abandonedInSession),"
    + "\"recovered_later\":\(stats.recoveredLater),"
    + "\"abandon_share_of_carts\":\(Double(stats.abandonedInSession * 10_000 / carts) / 10_000),"
    + "\"payment_failures\":\(stats.paymentFailures),\"sends\":\(stats.sends),"
    + "\"peak_events_held\":\(generator.peakHeld),\"by_event\":{\(byEvent.joined(separator: ","))},"
    + "\"elapsed_s\":\(Double(Int(seconds * 1000)) / 1000),"
    + "\"events_per_s\":\(Int(Double(generator.written) / max(seconds, 1e-9)))}\n"
printError(summary)
