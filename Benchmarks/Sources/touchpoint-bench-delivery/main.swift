// touchpoint-bench-delivery: messages per second through a real channel adapter to a local sink.
//
//   touchpoint-bench-delivery --kind webhook --url http://127.0.0.1:18080/hook --n 20000 --concurrency 64
//   touchpoint-bench-delivery --kind smtp --url smtp://127.0.0.1:2525 --n 5000 --concurrency 1
//
// N distinct messages are built up front; the timed part is, per message, `adapter.prepare` (JSON or MIME
// rendering, signing) plus `adapter.send` (the libcurl transfer and its classification), with at most C
// messages in flight. No outbox, no retries: one attempt each, outcomes counted by name.

import Channels
import Foundation

struct Options {
    var kind = "webhook"
    var url = "http://127.0.0.1:18080/hook"
    var n = 20_000
    var concurrency = 64
    var warmup = -1
    var secret: String?
    var format: String?
    var prepareOnly = false

    static let usage = """
        usage: touchpoint-bench-delivery --kind webhook|smtp --url URL [--n N] [--concurrency C]
                                         [--warmup W] [--secret whsec_…] [--format generic|slack]
                                         [--prepare-only]
        """

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        func int(_ name: String) -> Int {
            let text = value()
            guard let v = Int(text), v >= 0 else {
                fail("\(name) must be a non-negative integer, not '\(text)'")
            }
            return v
        }
        while i < args.count {
            switch args[i] {
            case "--kind": o.kind = value()
            case "--url": o.url = value()
            case "--n": o.n = int("--n")
            case "--concurrency", "-c": o.concurrency = max(1, int("--concurrency"))
            case "--warmup": o.warmup = int("--warmup")
            case "--secret": o.secret = value()
            case "--format": o.format = value()
            case "--prepare-only": o.prepareOnly = true
            case "-h", "--help":
                print(usage)
                exit(0)
            default: fail("unknown argument '\(args[i])'")
            }
            i += 1
        }
        // Enough warm-up transfers to open every connection the run will use, outside the timing.
        if o.warmup < 0 { o.warmup = o.concurrency }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("touchpoint-bench-delivery: \(message)\n\(Options.usage)\n".utf8))
    exit(2)
}

/// A message about the size of the peers' 445-byte JSON event once wrapped in the generic payload.
func message(_ i: Int, kind: String) -> OutboundMessage {
    let id = "bench-\(i)-" + String(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
    let email = kind == "smtp"
    return OutboundMessage(
        messageId: id, channel: email ? .email : .chat,
        to: email ? "u\(i)@example.test" : "C0\(i)",
        toName: email ? "Customer \(i)" : nil,
        subject: email ? "Your cart is waiting, customer \(i)" : nil,
        preheader: email ? "Two items, 129.90 CNY" : nil,
        text: "Hi customer \(i), you left 2 items (129.90 CNY) in your cart c-\(88_000 + i). "
            + "They are still reserved for you for the next 24 hours.",
        html: email
            ? "<p>Hi customer \(i),</p><p>you left <b>2 items</b> (129.90 CNY) in your cart.</p>" : nil,
        buttons: [.init(label: "Back to my cart", url: "https://shop.example/cart/c-\(88_000 + i)")],
        unsubscribeURL: "https://shop.example/u/\(id)",
        rule: "cart_abandoned", customerId: "u\(i)", createdAt: Delivery.wallClock())
}

/// Counts per outcome name, merged from the task group.
struct Tally {
    var counts: [String: Int] = [:]
    var firstFailure: String?

    mutating func add(_ outcome: DeliveryOutcome) {
        counts[outcome.name, default: 0] += 1
        if outcome.name != "delivered", firstFailure == nil { firstFailure = outcome.answer }
    }
}

/// Prepares and sends `messages`, at most `concurrency` in flight.
func run(_ messages: [OutboundMessage], via adapter: any ChannelAdapter, concurrency: Int) async -> Tally {
    await withTaskGroup(of: DeliveryOutcome.self) { group in
        var tally = Tally()
        var next = 0
        func submit() {
            let m = messages[next]
            next += 1
            group.addTask {
                do {
                    let request = try adapter.prepare(m, now: Delivery.wallClock())
                    return await adapter.send(request)
                } catch {
                    return .permanent(answer: "cannot prepare: \(error)")
                }
            }
        }
        while next < messages.count && next < concurrency { submit() }
        while let outcome = await group.next() {
            tally.add(outcome)
            if next < messages.count { submit() }
        }
        return tally
    }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
var config = ["url": options.url]
switch options.kind {
case "webhook":
    if let s = options.secret { config["secret"] = s }
    if let f = options.format { config["format"] = f }
case "smtp":
    config["from"] = "Touchpoint Bench <bench@peers.localhost>"
default:
    fail("--kind must be webhook or smtp, not '\(options.kind)'")
}

let adapter: any ChannelAdapter
do {
    adapter = try AdapterRegistry.make(kind: options.kind, options: config)
} catch {
    fail("\(error)")
}

if options.prepareOnly {
    // The CPU cost of `prepare` alone (payload, signature or MIME), one thread, no network.
    let messages = (0..<options.n).map { message($0, kind: options.kind) }
    let now = Delivery.wallClock()
    let clock = ContinuousClock()
    var bytes = 0
    let elapsed = try clock.measure {
        for m in messages { bytes += try adapter.prepare(m, now: now).body.count }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(
        "touchpoint kind=\(options.kind) prepare_only n=\(options.n) "
            + "prepare_us_per_msg=\(String(format: "%.2f", seconds * 1e6 / Double(max(1, options.n)))) "
            + "body_bytes_per_msg=\(bytes / max(1, options.n))")
    exit(0)
}

let warm = (0..<options.warmup).map { message(options.n + $0, kind: options.kind) }
let messages = (0..<options.n).map { message($0, kind: options.kind) }
let warmTally = await run(warm, via: adapter, concurrency: options.concurrency)
if let failure = warmTally.firstFailure {
    fail("warm-up failed, is the sink running at \(options.url)? \(failure)")
}

/// User plus system CPU seconds of this whole process (every thread: the curl thread and the task pool).
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

let clock = ContinuousClock()
let cpuStart = processCPUSeconds()
let start = clock.now
let tally = await run(messages, via: adapter, concurrency: options.concurrency)
let elapsed = clock.now - start
let cpu = processCPUSeconds() - cpuStart
let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18

let delivered = tally.counts["delivered", default: 0]
let failed = options.n - delivered
let others = tally.counts.filter { $0.key != "delivered" }.sorted { $0.key < $1.key }
    .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
print(
    "touchpoint kind=\(options.kind) n=\(options.n) concurrency=\(options.concurrency) "
        + "msgs_per_s=\(Int((Double(options.n) / wall).rounded())) delivered=\(delivered) failed=\(failed) "
        + "wall_s=\(String(format: "%.3f", wall)) cpu_s=\(String(format: "%.3f", cpu)) "
        + "cpu_us_per_msg=\(String(format: "%.1f", cpu * 1e6 / Double(max(1, options.n))))"
        + (others.isEmpty ? "" : " \(others)"))
if let failure = tally.firstFailure {
    FileHandle.standardError.write(Data("first failure: \(failure)\n".utf8))
}
exit(failed == 0 ? 0 : 1)
