// SPDX-License-Identifier: Apache-2.0
#include "tap/agent_event.h"

#include <QJsonDocument>
#include <QJsonValue>

namespace podtap {
namespace {

qint64 count(const QJsonValue &value)
{
    const double number = value.toDouble(0);
    return number > 0 && number < 9.0e18 ? qint64(number) : 0;
}

// The agent reports counters per hook ({"ingress":{"packets":..,"bytes":..},"egress":{...}}) and
// the device's tx errors/drops; older or simpler agents may report flat totals. Accept both.
AgentStats statsFrom(const QJsonObject &event)
{
    AgentStats stats;
    bool perHook = false;
    for (const char *hook : {"ingress", "egress"}) {
        const QJsonObject h = event.value(QLatin1String(hook)).toObject();
        if (!h.isEmpty()) {
            perHook = true;
            stats.packets += count(h.value(QLatin1String("packets")));
            stats.bytes += count(h.value(QLatin1String("bytes")));
        }
    }
    if (!perHook) {
        stats.packets = count(event.value(QLatin1String("packets")));
        stats.bytes = count(event.value(QLatin1String("bytes")));
    }
    const QJsonObject device = event.value(QLatin1String("vxlan")).toObject();
    const QJsonObject &source = device.isEmpty() ? event : device;
    stats.drops = count(source.value(QLatin1String("tx_dropped"))) + count(source.value(QLatin1String("tx_errors")));
    // `stream`: frames its AF_PACKET ring had no room for.
    stats.drops += count(event.value(QLatin1String("ring_drops")));
    return stats;
}

/// A VNI (1-16777215) as a JSON number, or 0.
quint32 vniFrom(const QJsonValue &value)
{
    const double number = value.toDouble(0);
    return number >= 1 && number <= 16777215 && number == double(quint32(number)) ? quint32(number) : 0;
}

} // namespace

std::optional<AgentEvent> parseAgentEvent(const QByteArray &line)
{
    const QByteArray trimmed = line.trimmed();
    if (!trimmed.startsWith('{') || trimmed.size() > 1 << 20) {
        return std::nullopt;
    }
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(trimmed, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        return std::nullopt;
    }
    const QJsonObject object = document.object();
    const QJsonValue name = object.value(QLatin1String("event"));
    if (!name.isString()) {
        return std::nullopt;
    }
    AgentEvent event;
    event.name = name.toString();
    event.raw = object;
    event.message = object.value(QLatin1String("message")).toString();
    event.reason = object.value(QLatin1String("reason")).toString();
    if (event.name == QLatin1String("ready")) {
        event.type = AgentEvent::Type::Ready;
        event.version = object.value(QLatin1String("version")).toString();
        const double contract = object.value(QLatin1String("contract")).toDouble(0);
        event.contract = contract >= 1 && contract <= 1000000 && contract == double(int(contract)) ? int(contract) : 0;
        event.device = object.value(QLatin1String("device")).toString();
        event.vni = vniFrom(object.value(QLatin1String("vni")));
        event.egressDevice = object.value(QLatin1String("egress_device")).toString();
        event.egressVni = vniFrom(object.value(QLatin1String("egress_vni")));
    } else if (event.name == QLatin1String("stats")) {
        event.type = AgentEvent::Type::Stats;
        event.stats = statsFrom(object);
    } else if (event.name == QLatin1String("warning")) {
        event.type = AgentEvent::Type::Warning;
    } else if (event.name == QLatin1String("error")) {
        event.type = AgentEvent::Type::Error;
    } else if (event.name == QLatin1String("stopped")) {
        event.type = AgentEvent::Type::Stopped;
        event.stats = statsFrom(object); // the final counters, read after the mirror stopped
    }
    return event;
}

} // namespace podtap
