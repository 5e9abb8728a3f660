// SPDX-License-Identifier: Apache-2.0
// parseAgentEvent on hostile pod-log lines: never crashes, accepts only JSON objects with a string
// "event", classifies them consistently and never reports negative counters.
#include "fuzz_support.h"
#include "tap/agent_event.h"

#include <QJsonDocument>

using namespace podtap;
using podtap::fuzz::require;

namespace {

AgentEvent::Type expectedType(const QString &name)
{
    if (name == QLatin1String("ready")) {
        return AgentEvent::Type::Ready;
    }
    if (name == QLatin1String("stats")) {
        return AgentEvent::Type::Stats;
    }
    if (name == QLatin1String("warning")) {
        return AgentEvent::Type::Warning;
    }
    if (name == QLatin1String("error")) {
        return AgentEvent::Type::Error;
    }
    if (name == QLatin1String("stopped")) {
        return AgentEvent::Type::Stopped;
    }
    return AgentEvent::Type::Other;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray line = fuzz::bytes(data, size);
    const std::optional<AgentEvent> event = parseAgentEvent(line);
    // Surrounding whitespace (a pod log's line ending, a CR) never changes the meaning of a line.
    const std::optional<AgentEvent> padded = parseAgentEvent(" \t" + line + "\r\n");
    require(event.has_value() == padded.has_value(), "whitespace around a line changes whether it parses");
    if (!event) {
        return 0;
    }
    require(line.trimmed().startsWith('{'), "a line that is not a JSON object parsed");
    require(event->raw.value(QLatin1String("event")).isString(), "an event without a string \"event\" parsed");
    require(event->name == event->raw.value(QLatin1String("event")).toString(), "name is not the \"event\" field");
    require(event->type == expectedType(event->name), "type does not follow the \"event\" name");
    require(event->message == event->raw.value(QLatin1String("message")).toString(), "message is not the field");
    require(event->reason == event->raw.value(QLatin1String("reason")).toString(), "reason is not the field");
    require(event->stats.packets >= 0 && event->stats.bytes >= 0 && event->stats.drops >= 0, "negative counters");
    require(event->type == AgentEvent::Type::Stats || event->type == AgentEvent::Type::Stopped ||
            event->stats == AgentStats {},
        "stats outside a stats or stopped event");
    require(event->contract >= 0, "a negative contract level");
    require(event->type == AgentEvent::Type::Ready || (event->version.isEmpty() && event->contract == 0),
        "version or contract outside a ready event");
    require(padded->type == event->type && padded->stats == event->stats && padded->raw == event->raw,
        "whitespace around a line changes what it says");

    // What the parser kept, written out again, reads back the same: nothing depends on formatting.
    const std::optional<AgentEvent> again = parseAgentEvent(QJsonDocument(event->raw).toJson(QJsonDocument::Compact));
    require(again.has_value(), "the parsed object, written compactly, no longer parses");
    require(again->type == event->type && again->name == event->name && again->stats == event->stats &&
            again->version == event->version && again->contract == event->contract,
        "the parsed object, written compactly, reads differently");
    return 0;
}
