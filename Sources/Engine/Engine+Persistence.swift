import Foundation
import Scheduler
import TouchpointCore

/// The engine's state for one customer, as the daemon persists it: profile, send ledger, pending
/// messages and inactivity deadlines. Rules are referred to by name, so a reload that adds, removes or
/// reorders rules restores what still applies.
public struct CustomerState: Codable, Sendable {
    /// A pending message of one rule.
    public struct PendingMessage: Codable, Sendable {
        public var rule: String
        public var messageId: String
        public var trigger: Event
        public var due: Instant
        /// Set once the scheduler has chosen channel and time.
        public var channel: Channel?
        public var sendAt: Instant?
        public var explanation: [String]
        /// The scheduler's `why` object (absent in state written before it existed).
        public var why: JSONValue?
        /// For a fallback follow-up: the first send's id, channel and time (absent otherwise).
        public var fallbackOf: String?
        public var firstChannel: Channel?
        public var firstSentAt: Instant?
    }

    public var customer: Customer
    public var ledger: SendLedger
    public var pending: [PendingMessage]
    /// Rule name → the deadline at which `when.inactive` fires.
    public var inactivity: [String: Instant]
}

/// State that is not per customer: population statistics, counters, the clock.
public struct EngineGlobals: Codable, Sendable {
    public var population: PopulationStats
    /// The snapshots decisions read (``PopulationSnapshots``); absent in state saved before they existed.
    public var populationSnapshots: PopulationSnapshots?
    public var now: Instant
    public var sequence: UInt64
}

extension Engine {
    /// Customers whose state changed since the last ``takeChanges()``.
    public var dirtyCount: Int { dirty.count }

    /// The state of every customer changed since the last call (``CustomerState/storedBytes()``), and the
    /// globals (JSON); clears the dirty set. The daemon commits this together with the file offsets, in one
    /// transaction.
    public mutating func takeChanges() throws -> (customers: [String: Data], globals: Data) {
        let encoder = JSONEncoder()
        var out: [String: Data] = [:]
        out.reserveCapacity(dirty.count)
        for id in dirty {
            out[id] = state(of: id).storedBytes()
        }
        dirty.removeAll(keepingCapacity: true)
        return (out, try encoder.encode(globals))
    }

    /// Every customer's state, for a reload or a full snapshot.
    public func allStates() -> [String: CustomerState] {
        var out: [String: CustomerState] = [:]
        for id in customers.keys { out[id] = state(of: id) }
        return out
    }

    /// The non-customer state.
    public var globals: EngineGlobals {
        EngineGlobals(
            population: population, populationSnapshots: snapshots, now: now, sequence: sequence)
    }

    /// The persisted state of one customer.
    public func state(of id: String) -> CustomerState {
        var pendingMessages: [CustomerState.PendingMessage] = []
        var deadlines: [String: Instant] = [:]
        for (index, compiled) in book.rules.enumerated() {
            let key = PendingKey(rule: index, customer: id)
            for fallback in 0..<(mayHoldFallback[index] ? 2 : 1) {
                let k = fallback == 1 ? PendingKey(rule: index, customer: id, fallback: true) : key
                guard let p = pending[k] else { continue }
                var m = CustomerState.PendingMessage(
                    rule: compiled.name, messageId: p.messageId, trigger: p.trigger, due: p.due, channel: nil,
                    sendAt: nil, explanation: [], why: p.why)
                if case .scheduled(let channel, let at, let explanation) = p.phase {
                    m.channel = channel
                    m.sendAt = at
                    m.explanation = explanation
                }
                m.fallbackOf = p.fallbackOf?.messageId
                m.firstChannel = p.fallbackOf?.channel
                m.firstSentAt = p.fallbackOf?.at
                pendingMessages.append(m)
            }
            if mayHoldInactivity[index], let d = inactivityDeadlines[key] { deadlines[compiled.name] = d }
        }
        return CustomerState(
            customer: customers[id] ?? Customer(id: id), ledger: ledgers[id] ?? SendLedger(),
            pending: pendingMessages,
            inactivity: deadlines)
    }

    /// Restores customers and globals saved by ``takeChanges()`` (or ``allStates()``), rebuilding timers.
    ///
    /// Pending messages and deadlines of rules that no longer exist are dropped and counted in
    /// `stats.droppedOnRestore`; everything else resumes exactly where it stopped.
    public mutating func restore(globals: EngineGlobals?, customers states: [String: CustomerState]) {
        if let g = globals {
            population = g.population
            if let s = g.populationSnapshots { snapshots = s }
            now = g.now
            sequence = max(sequence, g.sequence)
        }
        var ruleIndex: [String: Int] = [:]
        for (i, r) in book.rules.enumerated() { ruleIndex[r.name] = i }
        for (id, s) in states {
            customers[id] = s.customer
            if !s.ledger.isEmpty { ledgers[id] = s.ledger }
            for m in s.pending {
                guard let index = ruleIndex[m.rule] else {
                    stats.droppedOnRestore += 1
                    continue
                }
                sequence += 1
                var first: FirstSend?
                if let of = m.fallbackOf, let channel = m.firstChannel, let at = m.firstSentAt {
                    first = FirstSend(messageId: of, channel: channel, at: at)
                }
                let key = PendingKey(rule: index, customer: id, fallback: first != nil)
                if first != nil { mayHoldFallback[index] = true }
                var p = Pending(
                    generation: sequence, messageId: m.messageId, trigger: m.trigger, due: m.due,
                    phase: .waiting,
                    why: m.why ?? .null)
                p.fallbackOf = first
                if let channel = m.channel, let at = m.sendAt {
                    p.phase = .scheduled(channel: channel, at: at, explanation: m.explanation)
                    pending[key] = p
                    push(at: at, key: key, kind: .send, generation: p.generation)
                } else {
                    // A waiting message follows its rule's current `wait` (a reload that changed it re-times
                    // the message); one already scheduled keeps its channel and time.
                    if let due = Engine.retimedDue(m, wait: book.rules[index].rule.wait) {
                        p.due = due
                        stats.retimedOnRestore += 1
                    }
                    pending[key] = p
                    push(at: p.due, key: key, kind: .due, generation: p.generation)
                }
            }
            for (rule, deadline) in s.inactivity {
                guard let index = ruleIndex[rule] else {
                    stats.droppedOnRestore += 1
                    continue
                }
                let key = PendingKey(rule: index, customer: id)
                inactivityDeadlines[key] = deadline
                mayHoldInactivity[index] = true
                push(at: deadline, key: key, kind: .inactive(deadline: deadline), generation: 0)
            }
        }
    }

    /// The new due time of a waiting message whose rule's `wait` is now `wait`; `nil` when it is unchanged.
    ///
    /// A fallback follow-up is never retimed: its due time counts from the first send (`fallback.after`),
    /// or is the moment a hard bounce brought it forward, not from its trigger by `wait`.
    public static func retimedDue(_ m: CustomerState.PendingMessage, wait: TimeSpan) -> Instant? {
        if m.fallbackOf != nil { return nil }
        let due = m.trigger.instant + wait
        return due == m.due ? nil : due
    }

    /// Decodes blobs written by ``takeChanges()``.
    public static func decode(
        customers blobs: [String: Data], globals: Data?
    ) throws -> (globals: EngineGlobals?, customers: [String: CustomerState]) {
        let decoder = JSONDecoder()
        var out: [String: CustomerState] = [:]
        out.reserveCapacity(blobs.count)
        for (id, blob) in blobs {
            do {
                out[id] = try CustomerState.stored(blob)
            } catch {
                throw StoredStateError(customer: id, underlying: error)
            }
        }
        return (try globals.map { try decoder.decode(EngineGlobals.self, from: $0) }, out)
    }
}

/// A customer's stored state that could not be read: which customer, and why.
public struct StoredStateError: Error, CustomStringConvertible {
    public let customer: String
    public let underlying: any Error
    public var description: String {
        "the stored state of customer '\(LogSafety.escapeControls(customer))' cannot be read: \(underlying)"
    }
}
