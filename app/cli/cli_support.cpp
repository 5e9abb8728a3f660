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

void printHelp(const QCommandLineParser &parser, const QString &command)
{
    // QCommandLineParser names the binary by the path it was started with; operators type `podtapctl COMMAND`.
    QString text = parser.helpText();
    const QString usage = QStringLiteral("Usage: ");
    if (text.startsWith(usage)) {
        const qsizetype programEnd = text.indexOf(QLatin1Char(' '), usage.size());
        text.replace(0, programEnd, usage + QStringLiteral("podtapctl ") + command);
    }
    out() << text;
    out().flush();
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
        printHelp(parser, command);
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
