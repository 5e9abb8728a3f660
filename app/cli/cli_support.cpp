// SPDX-License-Identifier: Apache-2.0
#include "cli_support.h"

#include "kube/kube_client.h"

#include <QEventLoop>

namespace podtap::cli {

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

int usageError(const QString &message, const QString &command)
{
    err() << "podtapctl " << command << ": " << message << "\nRun 'podtapctl " << command << " --help' for usage.\n";
    err().flush();
    return 2;
}

std::optional<int> parse(QCommandLineParser &parser, const QStringList &args, const QString &command)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help(
        QStringList {QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(QStringList {QStringLiteral("podtapctl ") + command} + args)) {
        return usageError(parser.errorText(), command);
    }
    if (parser.isSet(help)) {
        out() << parser.helpText().replace(
            QStringLiteral("Usage: podtapctl %1").arg(command), QStringLiteral("Usage: podtapctl %1").arg(command));
        out().flush();
        return 0;
    }
    return std::nullopt;
}

kube::KubeReply *waitFor(kube::KubeReply *reply)
{
    if (!reply->isFinished()) {
        QEventLoop loop;
        QObject::connect(reply, &kube::KubeReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return reply;
}

std::optional<kube::ClusterConnection> connect(const QCommandLineParser &parser, const ConnectionFlags &flags)
{
    kube::ClusterConnection connection =
        kube::connectToCluster(parser.value(flags.kubeconfig), parser.value(flags.context));
    if (!connection.client) {
        err() << "podtapctl: " << connection.error << "\n";
        err().flush();
        return std::nullopt;
    }
    return connection;
}

} // namespace podtap::cli
