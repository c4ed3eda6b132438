import Scheduler
import TouchpointCore

/// The naive per-customer estimate of issue 13: a Laplace-smoothed open rate per channel and a smoothed
/// histogram of the customer's open hours; the best (channel, hour) pair by their product wins, ties to the
/// earliest time and the rule's channel order. No population data, no decay.
struct Naive {
    private var sends = [0.0, 0.0, 0.0]
    private var opens = [0.0, 0.0, 0.0]
    private var openHours = [Double](repeating: 0, count: 24)

    mutating func observe(_ send: Send, zone: Zone) {
        sends[send.channel.index] += 1
        if send.opened {
            opens[send.channel.index] += 1
            openHours[zone.fields(send.openedAt).hour] += 1
        }
    }

    /// The estimated open probability of `channel` at local `hour`.
    func estimate(_ channel: Channel, hour: Int) -> Double {
        let c = channel.index
        let rate = (opens[c] + 1) / (sends[c] + 2)
        let n = openHours.reduce(0, +)
        let smoothed =
            0.5 * openHours[hour] + 0.25 * openHours[(hour + 23) % 24] + 0.25 * openHours[(hour + 1) % 24]
        return rate * 24 * (smoothed + 1) / (n + 24)
    }
}
