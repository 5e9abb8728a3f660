// SPDX-License-Identifier: Apache-2.0
// podtapctl tap: a whole tap session headless.
#include "cli_support.h"
#include "commands.h"
#include "common/defaults.h"
#include "unix_signals.h"

#include "kube/kube_client.h"
#include "tap/agent_pod_spec.h"
#include "tap/tap_session.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QTimer>

namespace podtap::cli {

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
    QObject::connect(&session, &TapSession::dataPathChanged, [](const QString &text) {
        err() << "podtapctl: path: " << text << "\n";
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

} // namespace podtap::cli
