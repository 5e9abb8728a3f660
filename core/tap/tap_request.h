// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "common/defaults.h"
#include "common/names.h" // the validators that used to live here

#include <QList>
#include <QString>

#include <chrono>
#include <cstdint>
#include <optional>

namespace podtap {

/// @brief One thing wrong with a request: which field, the offending value (quoted and cut) and the rule.
struct ValidationProblem
{
    QString field;
    QString value; ///< already quoted with quoteForMessage()
    QString rule;

    QString toString() const;
    bool operator==(const ValidationProblem &) const = default;
};

using ValidationProblems = QList<ValidationProblem>;

enum class Direction { Ingress, Egress, Both };

/// @brief Where the mirrored traffic goes.
struct Destination
{
    /// ThisMachine: the userspace receiver (a UDP socket, no privilege); when no tunnel packet arrives although
    /// the agent mirrors, the session switches to the stream through the API server. LocalInterface: a kernel
    /// VXLAN interface ptap<vni> on this machine, made by `podtap-agent receive` (needs CAP_NET_ADMIN or pkexec).
    /// ApiServer: no tunnel at all; `podtap-agent stream` in an idle agent pod, read through `pods/exec`.
    enum class Kind { ThisMachine, LocalInterface, Node, Ip, ApiServer };
    Kind kind = Kind::ThisMachine;
    QString value; ///< node name for Node, the IP literal for Ip, empty for ThisMachine and LocalInterface

    /// The capture ends on this machine (either receiver, or the stream through the API server).
    bool endsHere() const
    {
        return kind == Kind::ThisMachine || kind == Kind::LocalInterface || kind == Kind::ApiServer;
    }
    /// The packets are written by this process (userspace receiver or stream), not by a kernel interface.
    bool capturedInProcess() const { return kind == Kind::ThisMachine || kind == Kind::ApiServer; }
    /// The stream through the API server may carry this tap (directly, or as the fallback of ThisMachine).
    bool mayStream() const { return kind == Kind::ThisMachine || kind == Kind::ApiServer; }

    /// "local", "local-interface", "api", "node:NAME" or "ip:ADDR" — the spelling `podtapctl tap --to` accepts.
    QString toString() const;
    bool operator==(const Destination &) const = default;
};

/// @brief The text fields of a tap request as a person or a command line gives them, before parsing.
struct TapRequestFields
{
    QString targetNamespace;
    QString pod;
    QString interfaceName = QStringLiteral("eth0");
    QString direction = QStringLiteral("both");
    QString destination = QStringLiteral("local");
    QString vni; ///< empty: chosen later
    QString port = QStringLiteral("4789");
    QString captureFilter;
    QString maxDuration = QStringLiteral("1h");
    QString agentNamespace = QString::fromLatin1(kDefaultAgentNamespace);
    QString agentImage; ///< empty: the default image
};

/// @brief A validated description of one tap: which pod and interface, which way, and where to.
///
/// A value type. validate() reports every problem at once, each naming the field, the value and
/// the rule, so a form or a command line can show them all.
class TapRequest final
{
public:
    static constexpr std::uint32_t kMaxVni = 16777215;
    static constexpr int kDefaultPort = 4789;
    static constexpr std::chrono::seconds kDefaultMaxDuration {3600};
    static constexpr std::chrono::seconds kMinDuration {10};
    static constexpr std::chrono::seconds kMaxDuration {7 * 24 * 3600};
    static constexpr qsizetype kMaxCaptureFilterLength = 4096;

    QString targetNamespace;
    QString pod;
    QString interfaceName = QStringLiteral("eth0");
    Direction direction = Direction::Both;
    Destination destination;
    std::optional<std::uint32_t> vni; ///< unset: chosen at random when the tap starts
    int port = kDefaultPort;
    QString captureFilter;
    std::chrono::seconds maxDuration = kDefaultMaxDuration;
    QString agentNamespace = QString::fromLatin1(kDefaultAgentNamespace);
    QString agentImage;

    /// Every rule this request breaks; empty when it is valid.
    ValidationProblems validate() const;

    /// Parses and validates text fields. On success @p problems is empty and the request is usable.
    static TapRequest fromFields(const TapRequestFields &fields, ValidationProblems *problems);

    bool operator==(const TapRequest &) const = default;
};

QString directionName(Direction direction);
std::optional<Direction> parseDirection(const QString &text);

/// Parses "local", "local-interface", "api" (or "api-server"), "node:NAME", "ip:ADDR" or a bare IP literal. Does not
/// validate the node name.
std::optional<Destination> parseDestination(const QString &text);

/// Parses "90", "90s", "15m", "1h", "1h30m" into seconds. Rejects negatives and overflow.
std::optional<std::chrono::seconds> parseDuration(const QString &text);

ValidationProblems validateDnsLabel(const QString &field, const QString &value);
ValidationProblems validateDnsSubdomain(const QString &field, const QString &value);

} // namespace podtap
