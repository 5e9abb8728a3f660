// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace podtap {

/// @brief Packet counters the agent reports in its `stats` events, summed over the mirrored hooks.
struct AgentStats
{
    qint64 packets = 0;
    qint64 bytes = 0;
    qint64 drops = 0; ///< VXLAN device tx drops + tx errors (mirror), or ring drops (stream): frames lost
    bool operator==(const AgentStats &) const = default;
};

/// @brief One JSON line of podtap-agent's stdout: ready, stats, warning, error or stopped.
struct AgentEvent
{
    enum class Type { Ready, Stats, Warning, Error, Stopped, Other };

    Type type = Type::Other;
    QString name; ///< the "event" field as written
    QString message; ///< warning/error text
    QString reason; ///< stopped: signal, heartbeat, deadline, target-gone, device-changed, ...
    AgentStats stats; ///< stats: the counters so far; stopped: the final counters (contract 2)
    QString version; ///< ready: the agent's project version ("" from agents before contract 2)
    int contract = 0; ///< ready: the agent's contract level (0 when absent: an agent before contract 2)
    QString device; ///< ready: the VXLAN device (the one for both hooks, or ingress with an egress device)
    quint32 vni = 0; ///< ready: its VNI
    QString egressDevice; ///< ready: the device egress frames leave by (--egress-vni), empty when none
    quint32 egressVni = 0; ///< ready: its VNI, 0 when none
    QJsonObject raw;
};

/// The contract level this console speaks: an agent that reports another one in `ready` is refused.
inline constexpr int kAgentContract = 2;

/// Parses one line. Returns nullopt for anything that is not a JSON object with a string "event"
/// (the agent writes nothing else to stdout, but a pod log may carry runtime noise).
std::optional<AgentEvent> parseAgentEvent(const QByteArray &line);

} // namespace podtap
