import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Rules
import ServiceLifecycle
import Store
import TouchpointCore

/// The daemon's HTTP side (SPEC §9), a Hummingbird application run as one service of the daemon's group:
/// tracking links (`/o/`, `/c/`, `/u/`), Segment ingestion (`/v1/*`), Twilio's callbacks
/// (`/hooks/twilio/*`), and `/metrics`, `/healthz`, `/readyz`.
///
/// Everything it records goes through the ``EventRecorder`` into the events folder, and is answered only
/// once it is on disk; the engine then reads it like any other line.
public struct TrackingServer: Service {
    /// What the server needs from the rest of the daemon.
    public struct Hooks: Sendable {
        /// The ids of customers whose current address on a channel is the given one (an inbound SMS names
        /// only its sender's number).
        public var customers: @Sendable (TouchpointCore.Channel, String) async -> [String]
        /// Called with the bound port once the server listens (port 0 in the config picks one).
        public var listening: @Sendable (Int) -> Void

        public init(
            customers: @escaping @Sendable (TouchpointCore.Channel, String) async -> [String] = { _, _ in []
            },
            listening: @escaping @Sendable (Int) -> Void = { _ in }
        ) {
            self.customers = customers
            self.listening = listening
        }
    }

    let config: HTTPConfig
    let recorder: EventRecorder
    let telemetry: Telemetry
    let health: Health
    let hooks: Hooks
    let clock: @Sendable () -> Instant
    let logger: Logger
    let key: HMAC.Key
    let machines: MachineOpens

    /// A server for `config`, recording through `recorder`; `store` and `eventsFolder` answer `/readyz`
    /// and the outbox gauges of `/metrics`.
    public init(
        config: HTTPConfig, recorder: EventRecorder, telemetry: Telemetry, store: (any StateStore)?,
        eventsFolder: String,
        hooks: Hooks = Hooks(), machines: MachineOpens = MachineOpens(), logger: Logger,
        clock: @escaping @Sendable () -> Instant
    ) {
        self.config = config
        self.recorder = recorder
        self.telemetry = telemetry
        self.health = Health(store: store, eventsFolder: eventsFolder, recorderPrefix: "http")
        self.hooks = hooks
        self.machines = machines
        self.logger = logger
        self.clock = clock
        self.key = HMAC.Key(Array(config.secret.utf8))
    }

    public func run() async throws {
        let router = Router(context: TrackingContext.self)
        addRoutes(to: router)
        let logger = self.logger
        let hooks = self.hooks
        let host = config.host
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("http listening on \(host):\(port)", metadata: ["http.port": "\(port)"])
                hooks.listening(port)
            },
            logger: logger)
        try await app.run()
    }

    func addRoutes(to router: Router<TrackingContext>) {
        router.get("/o/:token") { request, context in await self.open(request, context) }
        router.get("/c/:token") { request, context in await self.click(request, context) }
        router.get("/u/:token") { request, context in self.unsubscribePage(request, context) }
        router.post("/u/:token") { request, context in await self.unsubscribe(request, context) }
        router.post("/v1/track") { request, _ in await self.segment(request, endpoint: "track") }
        router.post("/v1/identify") { request, _ in await self.segment(request, endpoint: "identify") }
        router.post("/v1/batch") { request, _ in await self.segment(request, endpoint: "batch") }
        router.post("/hooks/twilio/status") { request, _ in await self.twilioStatus(request) }
        router.post("/hooks/twilio/inbound") { request, _ in await self.twilioInbound(request) }
        router.get("/metrics") { _, _ in await self.metrics() }
        router.get("/healthz") { _, _ in Response.text(.ok, "ok\n") }
        router.get("/readyz") { _, _ in await self.ready() }
    }

    // MARK: - Shared

    /// Records `lines`; `nil` when they are on disk (or were a repeat), else the failure, logged.
    func record(_ lines: [EventRecorder.Line], kind: String) async -> Bool {
        do {
            let outcome = try await recorder.append(lines)
            telemetry.hit(kind: kind, result: outcome == .recorded ? "recorded" : "duplicate")
            return true
        } catch {
            telemetry.hit(kind: kind, result: "error")
            logger.error("cannot record a \(kind) event: \(error)")
            return false
        }
    }

    /// The token in the path, verified; a refusal is counted and answered 404 by the caller.
    func token(_ context: TrackingContext, kind: TrackingToken.Kind, hit: String) -> TrackingToken? {
        guard let text = context.parameters.get("token") else { return nil }
        switch TrackingToken.decode(Substring(text), kind: kind, key: key) {
        case .success(let token): return token
        case .failure:
            telemetry.hit(kind: hit, result: "rejected")
            return nil
        }
    }

    /// Reads a body of at most `limit` bytes; `nil` when it is longer.
    static func body(_ request: Request, limit: Int) async -> [UInt8]? {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            return nil
        }
    }

    // MARK: - Metrics and health

    func metrics() async -> Response {
        await health.refresh(telemetry, now: clock())
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: telemetry.exposition())))
    }

    func ready() async -> Response {
        if let problem = await health.problem() { return Response.text(.serviceUnavailable, problem + "\n") }
        return Response.text(.ok, "ready\n")
    }
}

extension Response {
    /// A plain-text answer.
    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A JSON answer.
    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    /// One of the self-contained pages: no script, nothing fetched, not framed, no referrer.
    static func page(_ status: HTTPResponse.Status, _ html: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static let notFound = Response.text(.notFound, "not found\n")
}
