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
#include <QEventLoop>

#include <algorithm>

namespace podtap::cli {
namespace {

QString age(const QDateTime &then, const QDateTime &now)
{
    return then.isValid() ? humanDuration(then.msecsTo(now)) : QStringLiteral("<none>");
}

// The CLI waits on the same SessionSweeper the console uses, so both apply one set of rules.
void waitFor(SessionSweeper &sweeper)
{
    if (sweeper.isBusy()) {
        QEventLoop loop;
        QObject::connect(&sweeper, &SessionSweeper::found, &loop, &QEventLoop::quit);
        QObject::connect(&sweeper, &SessionSweeper::failed, &loop, &QEventLoop::quit);
        QObject::connect(&sweeper, &SessionSweeper::removed, &loop, &QEventLoop::quit);
        loop.exec();
    }
}

/// Lists podtap's pods through @p sweeper; prints the error and returns false when that failed.
bool listAgentPods(SessionSweeper &sweeper, const QString &agentNamespace, int heartbeatTimeout)
{
    QString error;
    const auto connection =
        QObject::connect(&sweeper, &SessionSweeper::failed, &sweeper, [&error](const QString &text) { error = text; });
    sweeper.find(agentNamespace, heartbeatTimeout);
    waitFor(sweeper);
    QObject::disconnect(connection);
    if (!error.isEmpty()) {
        err() << "podtapctl: " << error << "\n";
        err().flush();
        return false;
    }
    return true;
}

/// Deletes @p pods; prints each failure (pod, reason, fix) and returns the ones that are gone or going.
QList<AgentPodInfo> deletePods(SessionSweeper &sweeper, const QList<AgentPodInfo> &pods, int grace, int *failures)
{
    QList<AgentPodInfo> done;
    QStringList errors;
    const auto connection = QObject::connect(&sweeper, &SessionSweeper::removed, &sweeper,
        [&](const QList<AgentPodInfo> &removed, const QStringList &failed) {
            done = removed;
            errors = failed;
        });
    sweeper.remove(pods, grace);
    waitFor(sweeper);
    QObject::disconnect(connection);
    for (const QString &error : std::as_const(errors)) {
        err() << "podtapctl: " << error << "\n";
    }
    err().flush();
    *failures += int(errors.size());
    return done;
}

bool contains(const QList<AgentPodInfo> &pods, const AgentPodInfo &pod)
{
    return std::any_of(pods.begin(), pods.end(), [&](const AgentPodInfo &p) { return p.name == pod.name; });
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
    SessionSweeper sweeper(connection->client.get());
    if (!listAgentPods(sweeper, parser.value(flags.agentNamespace), parser.value(heartbeatOpt).toInt())) {
        return 1;
    }
    const QList<AgentPodInfo> *pods = &sweeper.pods();
    if (pods->isEmpty()) {
        err() << "No podtap sessions in namespace " << parser.value(flags.agentNamespace) << ".\n";
        err().flush();
        return 0;
    }
    // Heartbeat ages on the API server's clock, as the sweep measures them.
    const QDateTime now = sweeper.serverTime();
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
                     .arg(pod.deleting  ? QStringLiteral("being deleted")
                             : pod.dead ? QStringLiteral("dead: ") + pod.deadReason
                                        : QStringLiteral("alive"));
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
    SessionSweeper sweeper(connection->client.get());
    if (!listAgentPods(sweeper, parser.value(flags.agentNamespace), kDefaultHeartbeatTimeoutSeconds)) {
        return 1;
    }
    int failures = 0;
    QStringList found;
    QList<AgentPodInfo> chosen;
    for (const AgentPodInfo &pod : sweeper.pods()) {
        if (parser.isSet(allOpt) || sessions.contains(pod.sessionId)) {
            found << pod.sessionId;
            chosen << pod;
        }
    }
    const QList<AgentPodInfo> deleted = deletePods(sweeper, chosen, 10, &failures);
    for (const AgentPodInfo &pod : std::as_const(chosen)) {
        if (contains(deleted, pod)) {
            out() << "pod/" << pod.name << " deleted (session " << pod.sessionId << ")\n";
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
    SessionSweeper sweeper(connection->client.get());
    if (!listAgentPods(sweeper, parser.value(flags.agentNamespace), timeout)) {
        return 1;
    }
    const QList<AgentPodInfo> leftovers = sweeper.leftovers();
    int swept = 0;
    int failures = 0;
    if (parser.isSet(dryRunOpt)) {
        for (const AgentPodInfo &pod : leftovers) {
            out() << "would delete pod/" << pod.name << ": " << pod.deadReason << "\n";
            ++swept;
        }
    } else {
        const QList<AgentPodInfo> deleted = deletePods(sweeper, leftovers, 0, &failures);
        for (const AgentPodInfo &pod : leftovers) {
            if (contains(deleted, pod)) {
                out() << "pod/" << pod.name << " deleted: " << pod.deadReason << "\n";
                ++swept;
            }
        }
    }
    const auto deleting = std::count_if(
        sweeper.pods().begin(), sweeper.pods().end(), [](const AgentPodInfo &pod) { return pod.deleting; });
    err() << "podtapctl sweep: " << swept << " leftover pod(s) " << (parser.isSet(dryRunOpt) ? "found" : "removed")
          << ", " << (sweeper.pods().size() - leftovers.size() - deleting) << " alive";
    if (deleting > 0) {
        err() << ", " << deleting << " already being deleted";
    }
    err() << "\n";
    out().flush();
    err().flush();
    return failures == 0 ? 0 : 1;
}

} // namespace podtap::cli
