// SPDX-License-Identifier: Apache-2.0
// podtapctl list / stop / sweep: the podtap pods in a cluster, alive or dead.
#include "cli_support.h"
#include "commands.h"
#include "common/defaults.h"
#include "common/duration_format.h"

#include "kube/kube_client.h"
#include "tap/agent_pod_spec.h"
#include "tap/session_sweep.h"

#include <QDateTime>
#include <QUrlQuery>

namespace podtap::cli {
namespace {

QString age(const QDateTime &then, const QDateTime &now)
{
    return then.isValid() ? humanDuration(then.msecsTo(now)) : QStringLiteral("<none>");
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

int runListCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List podtap's agent pods and whether their sessions are alive."));
    ConnectionFlags flags;
    flags.addTo(parser);
    const QCommandLineOption heartbeatOpt(QStringLiteral("heartbeat-timeout"),
        QStringLiteral("Seconds after which a silent session counts as dead."), QStringLiteral("seconds"),
        QString::number(kDefaultHeartbeatTimeoutSeconds));
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
    const auto pods =
        listAgentPods(*connection->client, parser.value(flags.agentNamespace), kDefaultHeartbeatTimeoutSeconds);
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
        QString::number(kDefaultHeartbeatTimeoutSeconds));
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
