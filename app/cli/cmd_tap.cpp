// SPDX-License-Identifier: Apache-2.0
// podtapctl tap / list / stop / sweep: a whole tap session headless, and the podtap pods in a cluster.
#include "commands.h"
#include "unix_signals.h"

#include "kube/cluster_connection.h"
#include "kube/kube_client.h"
#include "tap/agent_pod_spec.h"
#include "tap/session_sweep.h"
#include "tap/tap_session.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QTextStream>
#include <QTimer>

namespace podtap::cli {
namespace {

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

struct ConnectionFlags
{
    QCommandLineOption kubeconfig {
        QStringLiteral("kubeconfig"), QStringLiteral("Path to the kubeconfig file."), QStringLiteral("file")};
    QCommandLineOption context {
        QStringLiteral("context"), QStringLiteral("The kubeconfig context to use."), QStringLiteral("name")};
    QCommandLineOption agentNamespace {QStringLiteral("agent-namespace"),
        QStringLiteral("Namespace of podtap's agent pods (default podtap)."), QStringLiteral("namespace"),
        QStringLiteral("podtap")};

    void addTo(QCommandLineParser &parser) const { parser.addOptions({kubeconfig, context, agentNamespace}); }
};

/// Parses @p args; returns an exit code when the command should end now (help, or a usage error).
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

QString age(const QDateTime &then, const QDateTime &now)
{
    if (!then.isValid()) {
        return QStringLiteral("<none>");
    }
    const qint64 s = qMax<qint64>(0, then.secsTo(now));
    if (s < 120) {
        return QStringLiteral("%1s").arg(s);
    }
    if (s < 7200) {
        return QStringLiteral("%1m").arg(s / 60);
    }
    return QStringLiteral("%1h").arg(s / 3600);
}

std::optional<QList<AgentPodInfo>> listAgentPods(
    kube::KubeClient &client, const QString &agentNamespace, int heartbeatTimeout)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), podtapPodSelector());
    kube::KubeReply *reply =
        waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("pods"), agentNamespace), query));
    reply->deleteLater();
    if (!reply->ok()) {
        err() << "podtapctl: listing podtap pods in namespace " << agentNamespace
              << " failed: " << reply->error().toString() << "\n";
        err().flush();
        return std::nullopt;
    }
    return agentPodsFromList(reply->json(), QDateTime::currentDateTimeUtc(), heartbeatTimeout);
}

bool deletePod(kube::KubeClient &client, const AgentPodInfo &pod, int grace)
{
    kube::KubeReply *reply =
        waitFor(client.remove(kube::KubeClient::corePath(QStringLiteral("pods"), pod.namespaceName, pod.name), grace));
    reply->deleteLater();
    if (!reply->ok() && !reply->error().isNotFound()) {
        err() << "podtapctl: deleting pod " << pod.namespaceName << "/" << pod.name
              << " failed: " << reply->error().toString() << "\n";
        err().flush();
        return false;
    }
    return true;
}

} // namespace

int runTapCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Tap a pod headless: mirror its interface into a VXLAN tunnel, capture it, and remove "
                       "everything on Ctrl-C, --count or --duration.\nTARGET is NAMESPACE/POD."));
    parser.addPositionalArgument(QStringLiteral("target"), QStringLiteral("NAMESPACE/POD to tap."));
    ConnectionFlags flags;
    flags.addTo(parser);
    const QCommandLineOption interfaceOpt(QStringLiteral("interface"), QStringLiteral("Pod interface (default eth0)."),
        QStringLiteral("name"), QStringLiteral("eth0"));
    const QCommandLineOption directionOpt(QStringLiteral("direction"), QStringLiteral("ingress, egress or both."),
        QStringLiteral("direction"), QStringLiteral("both"));
    const QCommandLineOption filterOpt(QStringLiteral("filter"),
        QStringLiteral("Capture filter, applied in the kernel on the node."), QStringLiteral("expression"));
    const QCommandLineOption toOpt(QStringLiteral("to"), QStringLiteral("local, node:NAME or ip:ADDRESS."),
        QStringLiteral("destination"), QStringLiteral("local"));
    const QCommandLineOption vniOpt(
        QStringLiteral("vni"), QStringLiteral("VXLAN ID (default: chosen)."), QStringLiteral("n"));
    const QCommandLineOption portOpt(
        QStringLiteral("port"), QStringLiteral("VXLAN UDP port."), QStringLiteral("port"), QStringLiteral("4789"));
    const QCommandLineOption captureOpt(QStringLiteral("capture"), QStringLiteral("wireshark, tshark or none."),
        QStringLiteral("tool"), QStringLiteral("tshark"));
    const QCommandLineOption writeOpt(
        QStringLiteral("write"), QStringLiteral("Write the capture to a pcapng file."), QStringLiteral("file"));
    const QCommandLineOption durationOpt(
        QStringLiteral("duration"), QStringLiteral("Stop after this long (e.g. 30s, 5m)."), QStringLiteral("duration"));
    const QCommandLineOption maxDurationOpt(QStringLiteral("max-duration"),
        QStringLiteral("The agent's own deadline: it removes the mirror after this long whatever happens "
                       "(default 1h)."),
        QStringLiteral("duration"));
    const QCommandLineOption countOpt(
        QStringLiteral("count"), QStringLiteral("Stop after this many packets."), QStringLiteral("n"));
    const QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Agent image."), QStringLiteral("image"));
    const QCommandLineOption heartbeatOpt(QStringLiteral("heartbeat-timeout"),
        QStringLiteral("Seconds without a heartbeat after which the agent removes "
                       "the mirror by itself (default 180)."),
        QStringLiteral("seconds"), QStringLiteral("180"));
    const QCommandLineOption privilegedOpt(
        QStringLiteral("privileged"), QStringLiteral("Run the agent privileged (SELinux hosts)."));
    parser.addOptions({interfaceOpt, directionOpt, filterOpt, toOpt, vniOpt, portOpt, captureOpt, writeOpt, durationOpt,
        maxDurationOpt, countOpt, imageOpt, heartbeatOpt, privilegedOpt});
    if (const auto code = parse(parser, args, QStringLiteral("tap"))) {
        return *code;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1 || positional.first().count(QLatin1Char('/')) != 1) {
        return usageError(QStringLiteral("give exactly one target as NAMESPACE/POD"), QStringLiteral("tap"));
    }

    TapRequestFields fields;
    fields.targetNamespace = positional.first().section(QLatin1Char('/'), 0, 0);
    fields.pod = positional.first().section(QLatin1Char('/'), 1);
    fields.interfaceName = parser.value(interfaceOpt);
    fields.direction = parser.value(directionOpt);
    fields.destination = parser.value(toOpt);
    fields.vni = parser.value(vniOpt);
    fields.port = parser.value(portOpt);
    fields.captureFilter = parser.value(filterOpt);
    fields.agentNamespace = parser.value(flags.agentNamespace);
    fields.agentImage = parser.value(imageOpt);

    std::optional<std::chrono::seconds> runFor;
    if (parser.isSet(durationOpt)) {
        runFor = parseDuration(parser.value(durationOpt));
        if (!runFor || runFor->count() < 1) {
            return usageError(QStringLiteral("--duration \"%1\" is not a duration such as 30s, 5m or 1h")
                                  .arg(parser.value(durationOpt)),
                QStringLiteral("tap"));
        }
    }
    if (parser.isSet(maxDurationOpt)) {
        fields.maxDuration = parser.value(maxDurationOpt);
    } else if (runFor) {
        // The agent's deadline must outlast the requested run, with room to stop cleanly.
        fields.maxDuration =
            QString::number(std::max<qint64>(TapRequest::kDefaultMaxDuration.count(), runFor->count() + 120));
    }
    ValidationProblems problems;
    const TapRequest request = TapRequest::fromFields(fields, &problems);
    if (!problems.isEmpty()) {
        for (const auto &p : problems) {
            err() << "podtapctl tap: " << p.toString() << "\n";
        }
        err().flush();
        return 2;
    }

    TapSessionOptions options;
    const QString capture = parser.value(captureOpt);
    if (capture == QLatin1String("tshark")) {
        options.tool = TapSessionOptions::Tool::Tshark;
    } else if (capture == QLatin1String("wireshark")) {
        options.tool = TapSessionOptions::Tool::Wireshark;
    } else if (capture == QLatin1String("none")) {
        options.tool = TapSessionOptions::Tool::None;
    } else {
        return usageError(QStringLiteral("--capture must be wireshark, tshark or none, not \"%1\"").arg(capture),
            QStringLiteral("tap"));
    }
    options.writeFile = parser.value(writeOpt);
    if (!options.writeFile.isEmpty() && options.tool != TapSessionOptions::Tool::Tshark) {
        return usageError(QStringLiteral("--write needs --capture tshark"), QStringLiteral("tap"));
    }
    if (parser.isSet(countOpt)) {
        bool ok = false;
        options.packetCount = parser.value(countOpt).toLongLong(&ok);
        if (!ok || options.packetCount < 1) {
            return usageError(QStringLiteral("--count must be a positive number"), QStringLiteral("tap"));
        }
        if (options.tool != TapSessionOptions::Tool::Tshark) {
            return usageError(QStringLiteral("--count needs --capture tshark"), QStringLiteral("tap"));
        }
    }
    bool heartbeatOk = false;
    options.heartbeatTimeoutSeconds = parser.value(heartbeatOpt).toInt(&heartbeatOk);
    if (!heartbeatOk || options.heartbeatTimeoutSeconds < 5 || options.heartbeatTimeoutSeconds > 86400) {
        return usageError(
            QStringLiteral("--heartbeat-timeout must be between 5 and 86400 seconds"), QStringLiteral("tap"));
    }
    // Heartbeats come several times per timeout, so one lost patch never stops a healthy tap.
    options.heartbeatIntervalMs = std::min(30000, options.heartbeatTimeoutSeconds * 1000 / 4);
    options.privileged = parser.isSet(privilegedOpt);

    auto connection = connect(parser, flags);
    if (!connection) {
        return 1;
    }
    TapSession session(connection->client.get(), request, options);
    UnixSignals signals;
    int interrupts = 0;
    QObject::connect(&signals, &UnixSignals::received, &session, [&](int) {
        if (++interrupts > 1) {
            err() << "podtapctl tap: interrupted twice, exiting without waiting; run 'podtapctl sweep' for leftovers\n";
            err().flush();
            QCoreApplication::exit(130);
            return;
        }
        session.stop(QStringLiteral("interrupted"));
    });
    QObject::connect(&session, &TapSession::progress, [](const QString &text) {
        err() << "podtapctl: " << text << "\n";
        err().flush();
    });
    QObject::connect(&session, &TapSession::warningRaised, [](const QString &text) {
        err() << "podtapctl: warning: " << text << "\n";
        err().flush();
    });
    QObject::connect(&session, &TapSession::packetLine, [](const QString &line) {
        out() << line << "\n";
        out().flush();
    });
    QObject::connect(&session, &TapSession::failed, [](const QString &summary, const QString &fix) {
        err() << "podtapctl: error: " << summary << "\n";
        if (!fix.isEmpty()) {
            err() << "podtapctl: fix: " << fix << "\n";
        }
        err().flush();
    });
    QTimer runTimer;
    runTimer.setSingleShot(true);
    QObject::connect(&runTimer, &QTimer::timeout, &session,
        [&] { session.stop(QStringLiteral("--duration %1 reached").arg(parser.value(durationOpt))); });
    QObject::connect(&session, &TapSession::ready, [&] {
        err() << "podtapctl: session " << session.sessionId() << ": capturing on " << session.captureInterface()
              << "\n";
        err().flush();
        if (runFor) {
            runTimer.start(std::chrono::milliseconds(*runFor));
        }
    });
    QObject::connect(&session, &TapSession::finished,
        [&] { QCoreApplication::exit(session.state() == TapSession::State::Stopped ? 0 : 1); });
    QTimer::singleShot(0, &session, &TapSession::start);
    const int code = QCoreApplication::exec();
    err() << "podtapctl: " << TapSession::stateName(session.state()).toLower();
    if (!session.stopReason().isEmpty()) {
        err() << " (" << session.stopReason() << ")";
    }
    err() << "; mirrored " << session.stats().packets << " packets, captured " << session.capturedPackets() << "\n";
    err().flush();
    return code;
}

int runListCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List podtap's agent pods and whether their sessions are alive."));
    ConnectionFlags flags;
    flags.addTo(parser);
    const QCommandLineOption heartbeatOpt(QStringLiteral("heartbeat-timeout"),
        QStringLiteral("Seconds after which a silent session counts as dead."), QStringLiteral("seconds"),
        QStringLiteral("180"));
    parser.addOption(heartbeatOpt);
    if (const auto code = parse(parser, args, QStringLiteral("list"))) {
        return *code;
    }
    auto connection = connect(parser, flags);
    if (!connection) {
        return 1;
    }
    const auto pods =
        listAgentPods(*connection->client, parser.value(flags.agentNamespace), parser.value(heartbeatOpt).toInt());
    if (!pods) {
        return 1;
    }
    if (pods->isEmpty()) {
        err() << "No podtap sessions in namespace " << parser.value(flags.agentNamespace) << ".\n";
        err().flush();
        return 0;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QString format = QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n");
    out() << format.arg(QStringLiteral("SESSION"), -12)
                 .arg(QStringLiteral("COMPONENT"), -10)
                 .arg(QStringLiteral("TARGET"), -40)
                 .arg(QStringLiteral("NODE"), -16)
                 .arg(QStringLiteral("PHASE"), -10)
                 .arg(QStringLiteral("HEARTBEAT"), -10)
                 .arg(QStringLiteral("STATE"));
    for (const AgentPodInfo &pod : *pods) {
        out() << format.arg(pod.sessionId, -12)
                     .arg(pod.component, -10)
                     .arg(pod.target, -40)
                     .arg(pod.node, -16)
                     .arg(pod.phase, -10)
                     .arg(age(pod.heartbeat, now), -10)
                     .arg(pod.dead ? QStringLiteral("dead: ") + pod.deadReason : QStringLiteral("alive"));
    }
    out().flush();
    return 0;
}

int runStopCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("End podtap sessions by deleting their agent pods."));
    parser.addPositionalArgument(QStringLiteral("session"), QStringLiteral("Session ID(s) to stop."));
    ConnectionFlags flags;
    flags.addTo(parser);
    const QCommandLineOption allOpt(QStringLiteral("all"), QStringLiteral("Stop every podtap session."));
    parser.addOption(allOpt);
    if (const auto code = parse(parser, args, QStringLiteral("stop"))) {
        return *code;
    }
    const QStringList sessions = parser.positionalArguments();
    if (sessions.isEmpty() == !parser.isSet(allOpt)) {
        return usageError(QStringLiteral("give session IDs or --all"), QStringLiteral("stop"));
    }
    auto connection = connect(parser, flags);
    if (!connection) {
        return 1;
    }
    const auto pods = listAgentPods(*connection->client, parser.value(flags.agentNamespace), 180);
    if (!pods) {
        return 1;
    }
    int failures = 0;
    QStringList found;
    for (const AgentPodInfo &pod : *pods) {
        if (parser.isSet(allOpt) || sessions.contains(pod.sessionId)) {
            found << pod.sessionId;
            if (deletePod(*connection->client, pod, 10)) {
                out() << "pod/" << pod.name << " deleted (session " << pod.sessionId << ")\n";
            } else {
                ++failures;
            }
        }
    }
    for (const QString &session : sessions) {
        if (!found.contains(session)) {
            err() << "podtapctl stop: no podtap pods with session " << session << " in namespace "
                  << parser.value(flags.agentNamespace) << " (see podtapctl list)\n";
            ++failures;
        }
    }
    out().flush();
    err().flush();
    return failures == 0 ? 0 : 1;
}

int runSweepCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Delete podtap pods whose session is dead: ended, or without a heartbeat for longer than "
                       "the timeout."));
    ConnectionFlags flags;
    flags.addTo(parser);
    const QCommandLineOption heartbeatOpt(QStringLiteral("heartbeat-timeout"),
        QStringLiteral("Seconds after which a silent session counts as dead."), QStringLiteral("seconds"),
        QStringLiteral("180"));
    const QCommandLineOption dryRunOpt(QStringLiteral("dry-run"), QStringLiteral("Only list what would be deleted."));
    parser.addOptions({heartbeatOpt, dryRunOpt});
    if (const auto code = parse(parser, args, QStringLiteral("sweep"))) {
        return *code;
    }
    bool ok = false;
    const int timeout = parser.value(heartbeatOpt).toInt(&ok);
    if (!ok || timeout < 1) {
        return usageError(
            QStringLiteral("--heartbeat-timeout must be a positive number of seconds"), QStringLiteral("sweep"));
    }
    auto connection = connect(parser, flags);
    if (!connection) {
        return 1;
    }
    const auto pods = listAgentPods(*connection->client, parser.value(flags.agentNamespace), timeout);
    if (!pods) {
        return 1;
    }
    int swept = 0;
    int failures = 0;
    for (const AgentPodInfo &pod : *pods) {
        if (!pod.dead) {
            continue;
        }
        if (parser.isSet(dryRunOpt)) {
            out() << "would delete pod/" << pod.name << ": " << pod.deadReason << "\n";
            ++swept;
        } else if (deletePod(*connection->client, pod, 0)) {
            out() << "pod/" << pod.name << " deleted: " << pod.deadReason << "\n";
            ++swept;
        } else {
            ++failures;
        }
    }
    err() << "podtapctl sweep: " << swept << " leftover pod(s) " << (parser.isSet(dryRunOpt) ? "found" : "removed")
          << ", " << (pods->size() - swept - failures) << " alive\n";
    out().flush();
    err().flush();
    return failures == 0 ? 0 : 1;
}

} // namespace podtap::cli
