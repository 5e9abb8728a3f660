// SPDX-License-Identifier: Apache-2.0
// What every podtapctl command shares: its output streams, usage errors, option parsing and connecting.
#pragma once

#include "common/defaults.h"

#include "kube/cluster_connection.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QTextStream>

#include <optional>

namespace podtap::kube {
class KubeReply;
}

namespace podtap::cli {

QTextStream &err();
QTextStream &out();
/// Prints @p message with a pointer to the command's help; returns the usage exit code (2).
int usageError(const QString &message, const QString &command);

/// @brief The options every command that talks to a cluster takes.
struct ConnectionFlags
{
    QCommandLineOption kubeconfig {
        QStringLiteral("kubeconfig"), QStringLiteral("Path to the kubeconfig file."), QStringLiteral("file")};
    QCommandLineOption context {
        QStringLiteral("context"), QStringLiteral("The kubeconfig context to use."), QStringLiteral("name")};
    QCommandLineOption agentNamespace {QStringLiteral("agent-namespace"),
        QStringLiteral("Namespace of podtap's agent pods (default %1).").arg(QLatin1String(kDefaultAgentNamespace)),
        QStringLiteral("namespace"), QString::fromLatin1(kDefaultAgentNamespace)};

    void addTo(QCommandLineParser &parser) const { parser.addOptions({kubeconfig, context, agentNamespace}); }
};

/// Prints @p parser's help with its usage line naming `podtapctl COMMAND`.
void printHelp(const QCommandLineParser &parser, const QString &command);
/// Parses @p args; returns an exit code when the command should end now (help, or a usage error).
std::optional<int> parse(QCommandLineParser &parser, const QStringList &args, const QString &command);
/// Runs an event loop until @p reply has finished; returns it.
kube::KubeReply *waitFor(kube::KubeReply *reply);
/// Connects with the kubeconfig and context flags; prints the error and returns nothing on failure.
std::optional<kube::ClusterConnection> connect(const QCommandLineParser &parser, const ConnectionFlags &flags);

} // namespace podtap::cli
