// SPDX-License-Identifier: Apache-2.0
// podtapctl tap: a whole tap session headless.
#include "cli_support.h"
#include "commands.h"
#include "common/defaults.h"
#include "unix_signals.h"

#include "cluster/workload_target.h"
#include "kube/kube_client.h"
#include "tap/agent_pod_spec.h"
#include "tap/tap_session.h"
#include "tap/workload_session.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QTimer>

namespace podtap::cli {
namespace {

/// What the positional targets and -l/-n ask for: one pod (TapSession, as always), or many (WorkloadTapSession).
struct TapTargets
{
    bool workload = false;
    QString singleNamespace; ///< one pod: its namespace and name
    QString singlePod;
    std::optional<cluster::WorkloadTarget> target; ///< a selector or a workload
    QStringList pods; ///< several named pods, `NS/NAME` (a bare NAME gets the namespace later)
    bool namespaceGiven = false; ///< -n, or NS/ in the target: the context's namespace does not apply
};

int runWorkloadTap(const QCommandLineParser &parser, const ConnectionFlags &flags, TapTargets targets,
    WorkloadTapRequest request, TapSessionOptions options, std::optional<std::chrono::seconds> runFor,
    const QString &durationText);

/// What every tap prints while it runs: progress and warnings on stderr, tshark's packet lines on stdout, and a
/// failure with its fix. The first interrupt stops the session (which removes what it made); a second one exits
/// without waiting. TapSession and WorkloadTapSession have these signals alike.
template<typename Session>
void reportOnTerminal(Session &session, UnixSignals &signals)
{
    QObject::connect(&signals, &UnixSignals::received, &session, [&session, interrupts = 0](int) mutable {
        if (++interrupts > 1) {
            err() << "podtapctl tap: interrupted twice, exiting without waiting; run 'podtapctl sweep' for leftovers\n";
            err().flush();
            QCoreApplication::exit(130);
            return;
        }
        session.stop(QStringLiteral("interrupted"));
    });
    QObject::connect(&session, &Session::progress, [](const QString &text) {
        err() << "podtapctl: " << text << "\n";
        err().flush();
    });
    QObject::connect(&session, &Session::warningRaised, [](const QString &text) {
        err() << "podtapctl: warning: " << text << "\n";
        err().flush();
    });
    QObject::connect(&session, &Session::packetLine, [](const QString &line) {
        out() << line << "\n";
        out().flush();
    });
    QObject::connect(&session, &Session::failed, [](const QString &summary, const QString &fix) {
        err() << "podtapctl: error: " << summary << "\n";
        if (!fix.isEmpty()) {
            err() << "podtapctl: fix: " << fix << "\n";
        }
        err().flush();
    });
}

} // namespace

int runTapCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Tap pods headless: mirror their interfaces into a VXLAN tunnel, capture them, and remove "
                       "everything on Ctrl-C, --count or --duration.\n"
                       "TARGET is NAMESPACE/POD (one pod), several pods (NS/POD or, with -n, POD), a workload "
                       "(deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME) or -l SELECTOR: many pods are tapped "
                       "into one capture with an interface per pod, one agent per node, following pods as they "
                       "come and go."));
    parser.addPositionalArgument(QStringLiteral("target"), QStringLiteral("NAMESPACE/POD, POD..., or KIND/NAME."),
        QStringLiteral("[TARGET...]"));
    const QCommandLineOption namespaceOpt(QStringList {QStringLiteral("n"), QStringLiteral("namespace")},
        QStringLiteral("Namespace of the pods, workload or selector (default: the context's)."),
        QStringLiteral("namespace"));
    const QCommandLineOption selectorOpt(QStringList {QStringLiteral("l"), QStringLiteral("selector")},
        QStringLiteral("Tap every pod this label selector picks in the namespace (e.g. app=cart)."),
        QStringLiteral("selector"));
    const QCommandLineOption maxPodsOpt(QStringLiteral("max-pods"),
        QStringLiteral("The most pods one tap of many takes (default %1): above it the tap does not start; pods "
                       "that come later above it are skipped with a warning.")
            .arg(cluster::WorkloadResolver::defaultMaxPods),
        QStringLiteral("n"));
    const QCommandLineOption bandwidthOpt(QStringLiteral("warn-bandwidth"),
        QStringLiteral("For a tap of many pods: warn when their mirrored traffic exceeds this many Mbit/s "
                       "together (default 100; 0: never)."),
        QStringLiteral("mbit"));
    ConnectionFlags flags;
    flags.addTo(parser);
    const QCommandLineOption interfaceOpt(QStringLiteral("interface"), QStringLiteral("Pod interface (default eth0)."),
        QStringLiteral("name"), QStringLiteral("eth0"));
    const QCommandLineOption directionOpt(QStringLiteral("direction"), QStringLiteral("ingress, egress or both."),
        QStringLiteral("direction"), QStringLiteral("both"));
    const QCommandLineOption filterOpt(QStringLiteral("filter"),
        QStringLiteral("Capture filter, applied in the kernel on the node."), QStringLiteral("expression"));
    const QCommandLineOption toOpt(QStringLiteral("to"),
        QStringLiteral("local (default): this machine's userspace receiver, a UDP socket that needs no root; when no "
                       "tunnel packet arrives, it switches to the stream through the API server; "
                       "local-interface: a kernel VXLAN interface ptap<vni> on this machine (needs root, "
                       "CAP_NET_ADMIN or pkexec); api: only the stream through the API server (pods/exec, no "
                       "tunnel: works behind NAT or a VPN); node:NAME or ip:ADDRESS."),
        QStringLiteral("destination"), QStringLiteral("local"));
    const QCommandLineOption vniOpt(
        QStringLiteral("vni"), QStringLiteral("VXLAN ID (default: chosen)."), QStringLiteral("n"));
    const QCommandLineOption portOpt(
        QStringLiteral("port"), QStringLiteral("VXLAN UDP port."), QStringLiteral("port"), QStringLiteral("4789"));
    const QCommandLineOption captureOpt(QStringLiteral("capture"), QStringLiteral("wireshark, tshark or none."),
        QStringLiteral("tool"), QStringLiteral("tshark"));
    const QCommandLineOption writeOpt(QStringLiteral("write"),
        QStringLiteral("Write the capture to a pcapng file (with --to local, no tshark needed)."),
        QStringLiteral("file"));
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
                       "the mirror by itself (default %1).")
            .arg(kDefaultHeartbeatTimeoutSeconds),
        QStringLiteral("seconds"), QString::number(kDefaultHeartbeatTimeoutSeconds));
    const QCommandLineOption privilegedOpt(
        QStringLiteral("privileged"), QStringLiteral("Run the agent privileged (SELinux hosts)."));
    parser.addOptions({namespaceOpt, selectorOpt, maxPodsOpt, bandwidthOpt, interfaceOpt, directionOpt, filterOpt,
        toOpt, vniOpt, portOpt, captureOpt, writeOpt, durationOpt, maxDurationOpt, countOpt, imageOpt, heartbeatOpt,
        privilegedOpt});
    if (const auto code = parse(parser, args, QStringLiteral("tap"))) {
        return *code;
    }
    const QStringList positional = parser.positionalArguments();
    TapTargets targets;
    targets.namespaceGiven = parser.isSet(namespaceOpt);
    // Parsed with a stand-in namespace when -n is not given: the context's is known once connected.
    const QString namespaceName = targets.namespaceGiven ? parser.value(namespaceOpt) : QStringLiteral("default");
    if (parser.isSet(selectorOpt)) {
        if (!positional.isEmpty()) {
            return usageError(QStringLiteral("-l SELECTOR picks the pods itself; give no TARGET with it (got \"%1\")")
                                  .arg(positional.join(QLatin1Char(' '))),
                QStringLiteral("tap"));
        }
        QString error;
        targets.target = cluster::WorkloadTarget::fromSelector(parser.value(selectorOpt), namespaceName, &error);
        if (!targets.target) {
            return usageError(error, QStringLiteral("tap"));
        }
        targets.workload = true;
    } else if (positional.isEmpty()) {
        return usageError(QStringLiteral("give a target: NAMESPACE/POD, several pods, KIND/NAME or -l SELECTOR"),
            QStringLiteral("tap"));
    } else if (positional.size() == 1) {
        QString error;
        const std::optional<cluster::WorkloadTarget> target =
            cluster::WorkloadTarget::parse(positional.first(), namespaceName, &error);
        if (!target) {
            return usageError(error, QStringLiteral("tap"));
        }
        if (target->kind == cluster::WorkloadTarget::Kind::Pod) {
            if (positional.first().count(QLatin1Char('/')) != 1 && !targets.namespaceGiven) {
                return usageError(QStringLiteral("give exactly one target as NAMESPACE/POD (or POD with -n NAMESPACE)"),
                    QStringLiteral("tap"));
            }
            targets.singleNamespace = target->namespaceName;
            targets.singlePod = target->name;
        } else {
            targets.target = target;
            targets.workload = true;
        }
    } else {
        for (const QString &spec : positional) {
            QString error;
            const std::optional<cluster::WorkloadTarget> target =
                cluster::WorkloadTarget::parse(spec, namespaceName, &error);
            if (!target) {
                return usageError(error, QStringLiteral("tap"));
            }
            if (target->kind != cluster::WorkloadTarget::Kind::Pod) {
                return usageError(
                    QStringLiteral("\"%1\" is not a pod: several TARGETs must all be pods (NS/POD, or POD with "
                                   "-n); tap a workload on its own")
                        .arg(spec),
                    QStringLiteral("tap"));
            }
            // A bare POD takes the namespace (-n, or the context's once connected); NS/POD names its own.
            targets.pods << (spec.contains(QLatin1Char('/')) ? spec : QStringLiteral("?/") + target->name);
        }
        targets.workload = true;
    }
    if (!targets.workload && (parser.isSet(maxPodsOpt) || parser.isSet(bandwidthOpt))) {
        return usageError(QStringLiteral("--max-pods and --warn-bandwidth are for taps of many pods (-l, KIND/NAME or "
                                         "several pods)"),
            QStringLiteral("tap"));
    }

    TapRequestFields fields;
    fields.targetNamespace = targets.workload ? QStringLiteral("default") : targets.singleNamespace;
    fields.pod = targets.workload ? QStringLiteral("pod") : targets.singlePod;
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

    if (targets.workload && request.destination.kind != Destination::Kind::ThisMachine) {
        WorkloadTapRequest workload;
        workload.destination = request.destination;
        for (const auto &p : workload.validate()) {
            if (p.field == QLatin1String("destination")) {
                err() << "podtapctl tap: " << p.toString() << "\n";
            }
        }
        err().flush();
        return 2;
    }

    TapSessionOptions options;
    const QString capture = parser.value(captureOpt);
    const std::optional<CaptureTool> tool = parseCaptureTool(capture);
    if (!tool) {
        return usageError(QStringLiteral("--capture must be wireshark, tshark or none, not \"%1\"").arg(capture),
            QStringLiteral("tap"));
    }
    const bool tunnelEndsHere = request.destination.endsHere();
    const bool userspace = request.destination.capturedInProcess();
    // tshark is the default only where it can run: a tunnel to another host has nothing to open here.
    // With the userspace receiver, --write alone records without a viewer.
    options.capture.tool = parser.isSet(captureOpt) || (tunnelEndsHere && !(userspace && parser.isSet(writeOpt)))
        ? *tool
        : CaptureTool::None;
    options.capture.outputFile = parser.value(writeOpt);
    if (parser.isSet(countOpt)) {
        bool ok = false;
        options.capture.packetCount = parser.value(countOpt).toLongLong(&ok);
        if (!ok || options.capture.packetCount < 1) {
            return usageError(QStringLiteral("--count must be a positive number"), QStringLiteral("tap"));
        }
    }
    const QStringList captureProblems = options.capture.problems(tunnelEndsHere, userspace);
    if (!captureProblems.isEmpty()) {
        return usageError(
            captureProblems.join(QLatin1Char(' ')) + QStringLiteral(" (--capture, --write, --count, --to)"),
            QStringLiteral("tap"));
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

    if (targets.workload) {
        if (parser.isSet(vniOpt)) {
            return usageError(QStringLiteral("--vni names one VNI; a tap of many pods chooses a pair per pod"),
                QStringLiteral("tap"));
        }
        WorkloadTapRequest workload;
        workload.interfaceName = request.interfaceName;
        workload.direction = request.direction;
        workload.destination = request.destination;
        workload.port = request.port;
        workload.captureFilter = request.captureFilter;
        workload.maxDuration = request.maxDuration;
        workload.agentNamespace = request.agentNamespace;
        workload.agentImage = request.agentImage;
        if (parser.isSet(maxPodsOpt)) {
            bool ok = false;
            workload.maxPods = parser.value(maxPodsOpt).toInt(&ok);
            if (!ok || workload.maxPods < 1 || workload.maxPods > WorkloadTapRequest::kMaxMaxPods) {
                return usageError(QStringLiteral("--max-pods must be a number from 1 to %1, not \"%2\"")
                                      .arg(WorkloadTapRequest::kMaxMaxPods)
                                      .arg(parser.value(maxPodsOpt)),
                    QStringLiteral("tap"));
            }
        }
        if (parser.isSet(bandwidthOpt)) {
            bool ok = false;
            const double mbit = parser.value(bandwidthOpt).toDouble(&ok);
            if (!ok || mbit < 0 || mbit > 1e6) {
                return usageError(QStringLiteral("--warn-bandwidth must be a rate in Mbit/s (0: never), not \"%1\"")
                                      .arg(parser.value(bandwidthOpt)),
                    QStringLiteral("tap"));
            }
            workload.bandwidthWarningBitsPerSecond = qint64(mbit * 1e6);
        }
        return runWorkloadTap(parser, flags, targets, workload, options, runFor, parser.value(durationOpt));
    }

    auto connection = connect(parser, flags);
    if (!connection) {
        return 1;
    }
    TapSession session(connection->client.get(), request, options);
    UnixSignals signals;
    reportOnTerminal(session, signals);
    QObject::connect(&session, &TapSession::dataPathChanged, [](const QString &text) {
        err() << "podtapctl: path: " << text << "\n";
        err().flush();
    });
    QTimer runTimer;
    runTimer.setSingleShot(true);
    QObject::connect(&runTimer, &QTimer::timeout, &session,
        [&] { session.stop(QStringLiteral("--duration %1 reached").arg(parser.value(durationOpt))); });
    QObject::connect(&session, &TapSession::ready, [&] {
        err() << "podtapctl: session " << session.sessionId() << ": capturing "
              << (session.hasUserspaceReceiver() ? QStringLiteral("%1 in this process").arg(session.captureInterface())
                                                 : QStringLiteral("on ") + session.captureInterface())
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
    err() << "; " << (session.dataPath() == TapSession::DataPath::Stream ? "streamed " : "mirrored ")
          << session.stats().packets << " packets, captured " << session.capturedPackets();
    if (!session.dataPathText().isEmpty()) {
        err() << "; path: " << session.dataPathText();
    }
    err() << "\n";
    err().flush();
    return code;
}

namespace {

int runWorkloadTap(const QCommandLineParser &parser, const ConnectionFlags &flags, TapTargets targets,
    WorkloadTapRequest request, TapSessionOptions options, std::optional<std::chrono::seconds> runFor,
    const QString &durationText)
{
    auto connection = connect(parser, flags);
    if (!connection) {
        return 1;
    }
    // Without -n (or NS/ in the target) the context's namespace applies, as for kubectl.
    if (targets.target) {
        if (!targets.namespaceGiven) {
            targets.target->namespaceName = connection->namespaceName;
        }
        request.target = *targets.target;
    }
    for (const QString &pod : std::as_const(targets.pods)) {
        request.pods << (pod.startsWith(QLatin1String("?/"))
                ? (targets.namespaceGiven ? parser.value(QStringLiteral("namespace")) : connection->namespaceName) +
                    pod.mid(1)
                : pod);
    }
    const ValidationProblems problems = request.validate();
    if (!problems.isEmpty()) {
        for (const auto &p : problems) {
            err() << "podtapctl tap: " << p.toString() << "\n";
        }
        err().flush();
        return 2;
    }
    WorkloadTapSession session(connection->client.get(), request, options);
    UnixSignals signals;
    reportOnTerminal(session, signals);
    QObject::connect(&session, &WorkloadTapSession::memberEvent, [](const QString &text) {
        err() << "podtapctl: " << text << "\n";
        err().flush();
    });
    QTimer runTimer;
    runTimer.setSingleShot(true);
    QObject::connect(&runTimer, &QTimer::timeout, &session,
        [&] { session.stop(QStringLiteral("--duration %1 reached").arg(durationText)); });
    QObject::connect(&session, &WorkloadTapSession::ready, [&] {
        err() << "podtapctl: session " << session.sessionId() << ": capturing " << session.members().size()
              << " pods in this process (agent pods: " << session.agentPods().join(QStringLiteral(", ")) << ")\n";
        err().flush();
        if (runFor) {
            runTimer.start(std::chrono::milliseconds(*runFor));
        }
    });
    QObject::connect(&session, &WorkloadTapSession::finished,
        [&] { QCoreApplication::exit(session.state() == WorkloadTapSession::State::Stopped ? 0 : 1); });
    QTimer::singleShot(0, &session, &WorkloadTapSession::start);
    const int code = QCoreApplication::exec();
    err() << "podtapctl: " << WorkloadTapSession::stateName(session.state()).toLower();
    if (!session.stopReason().isEmpty()) {
        err() << " (" << session.stopReason() << ")";
    }
    err() << "; " << session.members().size() << " pods, mirrored " << session.stats().packets << " packets, captured "
          << session.capturedPackets() << "\n";
    // One line per pod: what the Sessions panel shows in its child rows.
    for (const WorkloadMember &member : session.members()) {
        err() << "podtapctl:   " << member.key << "  " << (member.node.isEmpty() ? QStringLiteral("-") : member.node)
              << "  " << workloadMemberStateName(member.state) << "  mirrored " << member.mirroredPackets;
        if (!member.detail.isEmpty()) {
            err() << "  (" << member.detail << ")";
        }
        err() << "\n";
    }
    err().flush();
    return code;
}

} // namespace

} // namespace podtap::cli
